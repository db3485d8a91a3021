//! The two ciphers SSIS uses for package passwords, with the key derivation each one comes
//! with: Triple DES (SSIS 2005 to 2016) keyed by CryptoAPI's `CryptDeriveKey` over the SHA-1
//! of the password, and AES-256 (SSIS 2017 and later) keyed by PBKDF2-HMAC-SHA1 over the
//! password and the salt, 1000 rounds. Both run in CBC mode with the padding XML Encryption
//! uses. The block ciphers, SHA-1, HMAC and PBKDF2 come from RustCrypto; what is written here
//! is only the CryptoAPI expansion of a hash into a longer key, which no crate provides and
//! which Microsoft documents for `CryptDeriveKey`. It must not know about XML.

use aes::Aes256;
use cbc::cipher::block_padding::{Iso10126, Pkcs7};
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use des::TdesEde3;
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use super::password::PackagePassword;

/// The cipher of one encrypted element, as its `EncryptionMethod` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `http://www.w3.org/2001/04/xmlenc#tripledes-cbc`: 192-bit key, 8-byte blocks.
    TripleDes,
    /// `http://www.w3.org/2001/04/xmlenc#aes256-cbc`: 256-bit key, 16-byte blocks.
    Aes256,
}

/// PBKDF2 rounds of the AES-256 derivation (the .NET `Rfc2898DeriveBytes` default SSIS keeps).
const PBKDF2_ROUNDS: u32 = 1000;

impl Algorithm {
    pub const TRIPLE_DES_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc";
    pub const AES256_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";

    /// The algorithm an `EncryptionMethod/@Algorithm` URI names, if SSIS uses it.
    pub fn from_uri(uri: &str) -> Option<Algorithm> {
        match uri.trim() {
            Self::TRIPLE_DES_URI => Some(Algorithm::TripleDes),
            Self::AES256_URI => Some(Algorithm::Aes256),
            _ => None,
        }
    }

    pub fn uri(self) -> &'static str {
        match self {
            Algorithm::TripleDes => Self::TRIPLE_DES_URI,
            Algorithm::Aes256 => Self::AES256_URI,
        }
    }

    /// Bytes of one cipher block, which is also the length of the IV.
    pub fn block_len(self) -> usize {
        match self {
            Algorithm::TripleDes => 8,
            Algorithm::Aes256 => 16,
        }
    }

    /// Bytes of salt SSIS writes with this cipher (7 for Triple DES, 8 for AES-256).
    pub fn salt_len(self) -> usize {
        match self {
            Algorithm::TripleDes => 7,
            Algorithm::Aes256 => 8,
        }
    }

    /// The key for `password`. Triple DES ignores the salt: SSIS records one, but its
    /// derivation (CryptoAPI's `CryptDeriveKey` behind .NET's `PasswordDeriveBytes`) hashes the
    /// password alone.
    pub fn key(self, password: &PackagePassword, salt: &[u8]) -> Zeroizing<Vec<u8>> {
        match self {
            Algorithm::TripleDes => {
                let digest = Zeroizing::new(Sha1::digest(password.as_bytes()).to_vec());
                crypt_derive_key(&digest, 24)
            }
            Algorithm::Aes256 => {
                let mut key = Zeroizing::new(vec![0u8; 32]);
                pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), salt, PBKDF2_ROUNDS, &mut key);
                key
            }
        }
    }

    /// Encrypts `plain` in CBC mode. The padding is PKCS #7, which is also a valid ISO 10126
    /// padding: SSIS reads either.
    pub fn encrypt(self, key: &[u8], iv: &[u8], plain: &[u8]) -> Result<Vec<u8>, CipherError> {
        Ok(match self {
            Algorithm::TripleDes => cbc::Encryptor::<TdesEde3>::new_from_slices(key, iv)
                .map_err(|_| CipherError::Length)?
                .encrypt_padded_vec::<Pkcs7>(plain),
            Algorithm::Aes256 => cbc::Encryptor::<Aes256>::new_from_slices(key, iv)
                .map_err(|_| CipherError::Length)?
                .encrypt_padded_vec::<Pkcs7>(plain),
        })
    }

    /// Decrypts CBC `cipher_text`, removing ISO 10126 padding (SSIS pads with random bytes and
    /// a final count, so only the count can be checked).
    pub fn decrypt(
        self,
        key: &[u8],
        iv: &[u8],
        cipher_text: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CipherError> {
        if cipher_text.is_empty() || cipher_text.len() % self.block_len() != 0 {
            return Err(CipherError::Length);
        }
        let plain = match self {
            Algorithm::TripleDes => cbc::Decryptor::<TdesEde3>::new_from_slices(key, iv)
                .map_err(|_| CipherError::Length)?
                .decrypt_padded_vec::<Iso10126>(cipher_text),
            Algorithm::Aes256 => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
                .map_err(|_| CipherError::Length)?
                .decrypt_padded_vec::<Iso10126>(cipher_text),
        };
        plain.map(Zeroizing::new).map_err(|_| CipherError::Padding)
    }
}

/// Why a block could not be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherError {
    /// The key, the IV or the cipher text has a length the cipher cannot take.
    Length,
    /// The padding is not valid: with a well-formed value this means a wrong password.
    Padding,
}

/// CryptoAPI's `CryptDeriveKey` for a hash shorter than the key (as SHA-1 is for 3DES):
/// the hash is XORed into 64 bytes of 0x36 and into 64 bytes of 0x5C, both buffers are hashed,
/// and the key is the first `len` bytes of the two digests joined.
fn crypt_derive_key(digest: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    if digest.len() >= len {
        return Zeroizing::new(digest[..len].to_vec());
    }
    let mut inner = Zeroizing::new([0x36u8; 64]);
    let mut outer = Zeroizing::new([0x5Cu8; 64]);
    for (i, b) in digest.iter().enumerate() {
        inner[i] ^= b;
        outer[i] ^= b;
    }
    let mut key = Zeroizing::new(Vec::with_capacity(40));
    key.extend_from_slice(&Sha1::digest(&inner[..]));
    key.extend_from_slice(&Sha1::digest(&outer[..]));
    key.truncate(len);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> PackagePassword {
        PackagePassword::new(s)
    }

    #[test]
    fn triple_des_keys_follow_crypt_derive_key_and_ignore_the_salt() {
        let a = Algorithm::TripleDes.key(&pw("banana"), b"1234567");
        let b = Algorithm::TripleDes.key(&pw("banana"), b"7654321");
        assert_eq!(a.len(), 24);
        assert_eq!(a, b);
        // The expansion: first 20 bytes are SHA-1 of (SHA-1(pw) XOR 0x36-pad).
        let digest = Sha1::digest(b"banana");
        let mut inner = [0x36u8; 64];
        for (i, d) in digest.iter().enumerate() {
            inner[i] ^= d;
        }
        assert_eq!(&a[..20], &Sha1::digest(inner)[..]);
    }

    #[test]
    fn aes_keys_depend_on_the_salt() {
        let a = Algorithm::Aes256.key(&pw("123"), b"saltsalt");
        let b = Algorithm::Aes256.key(&pw("123"), b"SALTSALT");
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        // RFC 6070 test vector for PBKDF2-HMAC-SHA1 (the same PRF): "password"/"salt", 1 round.
        let mut out = [0u8; 20];
        pbkdf2::pbkdf2_hmac::<Sha1>(b"password", b"salt", 1, &mut out);
        assert_eq!(
            out,
            [
                0x0c, 0x60, 0xc8, 0x0f, 0x96, 0x1f, 0x0e, 0x71, 0xf3, 0xa9, 0xb5, 0x24, 0xaf, 0x60,
                0x12, 0x06, 0x2f, 0xe0, 0x37, 0xa6
            ]
        );
    }

    #[test]
    fn both_ciphers_round_trip_and_wrong_keys_fail() {
        for alg in [Algorithm::TripleDes, Algorithm::Aes256] {
            let key = alg.key(&pw("s3cret"), &vec![7; alg.salt_len()]);
            let iv = vec![9u8; alg.block_len()];
            for plain in [&b""[..], b"x", b"exactly sixteen!", &[b'a'; 100][..]] {
                let ct = alg.encrypt(&key, &iv, plain).unwrap();
                assert_eq!(ct.len() % alg.block_len(), 0);
                assert_eq!(&alg.decrypt(&key, &iv, &ct).unwrap()[..], plain);
            }
            let ct = alg
                .encrypt(&key, &iv, b"<DTS:Password>p</DTS:Password>")
                .unwrap();
            let other = alg.key(&pw("wrong"), &vec![7; alg.salt_len()]);
            let wrong = alg.decrypt(&other, &iv, &ct);
            assert!(
                wrong.map_or(true, |p| !p.starts_with(b"<DTS")),
                "a wrong key must not give the plain text back"
            );
            assert_eq!(alg.decrypt(&key, &iv, &ct[1..]), Err(CipherError::Length));
        }
    }

    #[test]
    fn algorithms_are_named_by_their_xml_encryption_uris() {
        for alg in [Algorithm::TripleDes, Algorithm::Aes256] {
            assert_eq!(Algorithm::from_uri(alg.uri()), Some(alg));
        }
        assert_eq!(
            Algorithm::from_uri("http://www.w3.org/2001/04/xmlenc#aes128-cbc"),
            None
        );
    }
}
