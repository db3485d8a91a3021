//! Cutting a child's channel into frames: newline-terminated records (the event stream of a
//! child `dtexec`) or length-prefixed frames (a little-endian `u32` length, then that many
//! bytes: the script host's protocol). Either way a frame longer than the limit is refused
//! rather than buffered without end. It owns the cutting only; what a frame means is the
//! caller's.

/// How the channel is cut into frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One frame per line (the newline is not part of it).
    Lines,
    /// A little-endian `u32` length, then the frame.
    LengthPrefixed,
}

/// A frame over the limit: the channel is not trusted after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the child sent a frame of {size} bytes, more than the {limit} allowed")]
pub struct Oversized {
    pub size: usize,
    pub limit: usize,
}

/// Collects bytes and hands out whole frames.
#[derive(Debug)]
pub struct Decoder {
    framing: Framing,
    limit: usize,
    pending: Vec<u8>,
}

impl Decoder {
    pub fn new(framing: Framing, limit: usize) -> Decoder {
        Decoder {
            framing,
            limit,
            pending: Vec::new(),
        }
    }

    /// Adds `bytes` and passes every frame now complete to `frame`.
    pub fn push(&mut self, bytes: &[u8], frame: &mut dyn FnMut(&[u8])) -> Result<(), Oversized> {
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        loop {
            let rest = &self.pending[start..];
            match self.framing {
                Framing::Lines => match rest.iter().position(|&b| b == b'\n') {
                    Some(end) => {
                        frame(&rest[..end]);
                        start += end + 1;
                    }
                    None => {
                        if rest.len() > self.limit {
                            return Err(Oversized {
                                size: rest.len(),
                                limit: self.limit,
                            });
                        }
                        break;
                    }
                },
                Framing::LengthPrefixed => {
                    if rest.len() < 4 {
                        break;
                    }
                    let size = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                    if size > self.limit {
                        return Err(Oversized {
                            size,
                            limit: self.limit,
                        });
                    }
                    if rest.len() < 4 + size {
                        break;
                    }
                    frame(&rest[4..4 + size]);
                    start += 4 + size;
                }
            }
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// What is left when the channel closes: a last line without its newline is a frame; a
    /// partial length-prefixed frame is not (it is reported as `Err` with its size).
    pub fn finish(&mut self, frame: &mut dyn FnMut(&[u8])) -> Result<(), usize> {
        let rest = std::mem::take(&mut self.pending);
        if rest.is_empty() {
            return Ok(());
        }
        match self.framing {
            Framing::Lines => {
                frame(&rest);
                Ok(())
            }
            Framing::LengthPrefixed => Err(rest.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(d: &mut Decoder, chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for c in chunks {
            d.push(c, &mut |f| out.push(f.to_vec()))
                .expect("within limit");
        }
        out
    }

    #[test]
    fn lines_are_joined_across_chunks() {
        let mut d = Decoder::new(Framing::Lines, 1024);
        let got = collect(&mut d, &[b"ab", b"c\nde", b"\n", b"f"]);
        assert_eq!(got, vec![b"abc".to_vec(), b"de".to_vec()]);
        let mut last = Vec::new();
        d.finish(&mut |f| last.push(f.to_vec())).expect("a line");
        assert_eq!(last, vec![b"f".to_vec()]);
    }

    #[test]
    fn length_prefixed_frames_are_joined_across_chunks() {
        let mut d = Decoder::new(Framing::LengthPrefixed, 1024);
        let mut bytes = Vec::new();
        for f in [&b"hello"[..], b"", b"xyz"] {
            bytes.extend_from_slice(&(f.len() as u32).to_le_bytes());
            bytes.extend_from_slice(f);
        }
        let (a, b) = bytes.split_at(6);
        let got = collect(&mut d, &[a, b]);
        assert_eq!(got, vec![b"hello".to_vec(), Vec::new(), b"xyz".to_vec()]);
        assert_eq!(d.finish(&mut |_| {}), Ok(()));
        d.push(&[9, 0], &mut |_| {}).expect("partial");
        assert_eq!(d.finish(&mut |_| {}), Err(2));
    }

    #[test]
    fn frames_over_the_limit_are_refused() {
        let mut d = Decoder::new(Framing::LengthPrefixed, 8);
        let e = d.push(&100u32.to_le_bytes(), &mut |_| {}).unwrap_err();
        assert_eq!(
            e,
            Oversized {
                size: 100,
                limit: 8
            }
        );
        let mut d = Decoder::new(Framing::Lines, 4);
        assert!(d.push(b"123456", &mut |_| {}).is_err());
    }
}
