//! The `EncryptedData` element SSIS writes around each encrypted piece of a package: W3C XML
//! Encryption (`Type` …#Element, `EncryptionMethod/@Algorithm`, `CipherData/CipherValue`) with
//! two attributes of SSIS's own, `Salt` and `IV` (base 64). The cipher value is the IV followed
//! by the cipher text, as .NET's `EncryptedXml` writes it. This file reads one such element
//! into its parts and writes one from a plain text; it does not decide which elements are
//! encrypted nor where the plain text goes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use roxmltree::Node;
use zeroize::Zeroizing;

use super::cipher::{Algorithm, CipherError};
use super::password::PackagePassword;

/// Why a value could not be sealed in an `EncryptedData` element.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("no random bytes for the salt and IV: {0}")]
    Random(getrandom::Error),
    #[error("cannot encrypt: {0:?}")]
    Encrypt(CipherError),
}

/// The XML Encryption namespace.
pub const XMLENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
/// `EncryptedData/@Type` for an encrypted element.
const ELEMENT_TYPE: &str = "http://www.w3.org/2001/04/xmlenc#Element";

/// Whether `node` is an `EncryptedData` element of XML Encryption.
pub fn is_encrypted_data(node: Node) -> bool {
    node.is_element()
        && node.tag_name().name() == "EncryptedData"
        && node.tag_name().namespace() == Some(XMLENC_NS)
}

/// One `EncryptedData` element, read.
#[derive(Debug)]
pub struct Envelope {
    pub algorithm: Algorithm,
    pub salt: Vec<u8>,
    pub iv: Vec<u8>,
    pub cipher_text: Vec<u8>,
}

/// Why an `EncryptedData` element cannot be read (without position: the caller adds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeError {
    /// No `Salt` attribute: not a password envelope (a user-key one, or foreign).
    NoSalt,
    Damaged(String),
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(XMLENC_NS)
    })
}

fn base64(what: &str, text: &str) -> Result<Vec<u8>, EnvelopeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|e| EnvelopeError::Damaged(format!("{what} is not base 64 ({e})")))
}

impl Envelope {
    /// Reads the parts of an `EncryptedData` element.
    pub fn read(node: Node) -> Result<Envelope, EnvelopeError> {
        let salt = node.attribute("Salt").ok_or(EnvelopeError::NoSalt)?;
        let salt = base64("the Salt attribute", salt)?;
        let uri = child(node, "EncryptionMethod")
            .and_then(|m| m.attribute("Algorithm"))
            .ok_or_else(|| EnvelopeError::Damaged("it has no EncryptionMethod".into()))?;
        let algorithm = Algorithm::from_uri(uri).ok_or_else(|| {
            EnvelopeError::Damaged(format!(
                "the algorithm {uri} is not one SSIS uses (Triple DES or AES-256 in CBC mode)"
            ))
        })?;
        let value = child(node, "CipherData")
            .and_then(|d| child(d, "CipherValue"))
            .ok_or_else(|| EnvelopeError::Damaged("it has no CipherData/CipherValue".into()))?;
        let value: String = value
            .children()
            .filter_map(|c| c.text())
            .collect::<String>();
        let mut bytes = base64("the cipher value", &value)?;
        let block = algorithm.block_len();
        if bytes.len() < 2 * block || bytes.len() % block != 0 {
            return Err(EnvelopeError::Damaged(format!(
                "the cipher value has {} bytes, not an IV and whole {block}-byte blocks",
                bytes.len()
            )));
        }
        // The IV that counts is the first block of the cipher value; the IV attribute repeats it.
        let cipher_text = bytes.split_off(block);
        Ok(Envelope {
            algorithm,
            salt,
            iv: bytes,
            cipher_text,
        })
    }

    /// The plain bytes, or `CipherError::Padding` when the password is wrong.
    pub fn open(&self, password: &PackagePassword) -> Result<Zeroizing<Vec<u8>>, CipherError> {
        let key = self.algorithm.key(password, &self.salt);
        self.algorithm.decrypt(&key, &self.iv, &self.cipher_text)
    }

    /// Encrypts `plain` with a fresh salt and IV and writes the `EncryptedData` element.
    pub fn seal(
        algorithm: Algorithm,
        password: &PackagePassword,
        plain: &[u8],
    ) -> Result<String, SealError> {
        let mut salt = vec![0u8; algorithm.salt_len()];
        let mut iv = vec![0u8; algorithm.block_len()];
        getrandom::getrandom(&mut salt)
            .and_then(|()| getrandom::getrandom(&mut iv))
            .map_err(SealError::Random)?;
        let key = algorithm.key(password, &salt);
        let cipher_text = algorithm
            .encrypt(&key, &iv, plain)
            .map_err(SealError::Encrypt)?;
        let mut value = iv.clone();
        value.extend_from_slice(&cipher_text);
        Ok(format!(
            "<EncryptedData Type=\"{ELEMENT_TYPE}\" Salt=\"{}\" IV=\"{}\" xmlns=\"{XMLENC_NS}\">\
             <EncryptionMethod Algorithm=\"{}\" /><CipherData><CipherValue>{}</CipherValue>\
             </CipherData></EncryptedData>",
            STANDARD.encode(&salt),
            STANDARD.encode(&iv),
            algorithm.uri(),
            STANDARD.encode(&value)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_envelopes_read_back_and_open() {
        let pw = PackagePassword::new("pw");
        for alg in [Algorithm::TripleDes, Algorithm::Aes256] {
            let xml = Envelope::seal(alg, &pw, b"<a>1</a>").unwrap();
            let doc = roxmltree::Document::parse(&xml).unwrap();
            let root = doc.root_element();
            assert!(is_encrypted_data(root));
            let e = Envelope::read(root).unwrap();
            assert_eq!(e.algorithm, alg);
            assert_eq!(e.salt.len(), alg.salt_len());
            assert_eq!(
                STANDARD.decode(root.attribute("IV").unwrap()).unwrap(),
                e.iv
            );
            assert_eq!(&e.open(&pw).unwrap()[..], b"<a>1</a>");
        }
    }

    #[test]
    fn damaged_envelopes_say_what_is_wrong() {
        let cases = [
            ("<EncryptedData xmlns=\"http://www.w3.org/2001/04/xmlenc#\"/>", "NoSalt"),
            ("<EncryptedData Salt=\"AA==\" xmlns=\"http://www.w3.org/2001/04/xmlenc#\"/>", "EncryptionMethod"),
            ("<EncryptedData Salt=\"AA==\" xmlns=\"http://www.w3.org/2001/04/xmlenc#\"><EncryptionMethod Algorithm=\"urn:x\"/></EncryptedData>", "not one SSIS uses"),
            ("<EncryptedData Salt=\"AA==\" xmlns=\"http://www.w3.org/2001/04/xmlenc#\"><EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#tripledes-cbc\"/><CipherData><CipherValue>!!</CipherValue></CipherData></EncryptedData>", "base 64"),
            ("<EncryptedData Salt=\"AA==\" xmlns=\"http://www.w3.org/2001/04/xmlenc#\"><EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#tripledes-cbc\"/><CipherData><CipherValue>AAAA</CipherValue></CipherData></EncryptedData>", "whole 8-byte blocks"),
        ];
        for (xml, needle) in cases {
            let doc = roxmltree::Document::parse(xml).unwrap();
            let e = Envelope::read(doc.root_element()).unwrap_err();
            assert!(format!("{e:?}").contains(needle), "{xml}: {e:?}");
        }
    }
}
