//! Saving and loading a network's spec and parameters.
//!
//! # Format (version 1), all integers and values little-endian
//! ```text
//! offset  size      field
//! 0       8         magic "TSRNNPAR"
//! 8       4         u32 format version = 1
//! 12      4         u32 precision: 1 = f32, 2 = f64
//! 16      4         u32 loss code (Loss)
//! 20      4         u32 number of layers L ≥ 1
//! 24      24·L      per layer: u64 inputs, u64 outputs, u32 activation code, u32 zero
//! 24+24L  8         u64 number of parameters P (must equal what the layers imply)
//! 32+24L  P·4 or 8  the parameter buffer, in the layout of Spec
//! …       8         u64 FNV-1a (64-bit) hash of every byte before it
//! ```
//! The hash detects corruption (any single-byte change, truncation, splices); it is not a
//! cryptographic signature. A file is rejected, with a typed error, if it is truncated, has
//! bytes past its end, a wrong magic, version, precision or hash, a spec that does not
//! validate, or non-finite parameters.

use super::{Activation, Dense, Float, Loss, Network, NnError, Spec};

const MAGIC: &[u8; 8] = b"TSRNNPAR";
const VERSION: u32 = 1;

/// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

impl<T: Float> Network<T> {
    /// The network in the format above; an error if a parameter is not finite (such a file
    /// would not load).
    pub fn to_bytes(&self) -> Result<Vec<u8>, NnError> {
        self.check_params()?;
        let spec = self.spec();
        let layers = spec.layers();
        let mut out = Vec::with_capacity(40 + 24 * layers.len() + T::BYTES * spec.num_params());
        out.extend_from_slice(MAGIC);
        for v in [VERSION, T::DTYPE, spec.loss() as u32, layers.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for d in layers {
            out.extend_from_slice(&(d.inputs as u64).to_le_bytes());
            out.extend_from_slice(&(d.outputs as u64).to_le_bytes());
            out.extend_from_slice(&(d.activation as u32).to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
        }
        out.extend_from_slice(&(spec.num_params() as u64).to_le_bytes());
        for &p in self.params() {
            p.put_le(&mut out);
        }
        let h = fnv1a(&out);
        out.extend_from_slice(&h.to_le_bytes());
        Ok(out)
    }

    /// A network read from the format above.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NnError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err(NnError::BadMagic);
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(NnError::UnsupportedVersion(version));
        }
        let dtype = r.u32()?;
        if dtype != T::DTYPE {
            return Err(NnError::WrongDtype { expected: T::DTYPE, got: dtype });
        }
        let loss = r.u32()?;
        let count = r.u32()? as usize;
        // The layer table must be there before it is allocated for.
        r.need(count.saturating_mul(24).saturating_add(8))?;
        let mut layers = Vec::with_capacity(count);
        for _ in 0..count {
            let inputs = r.size()?;
            let outputs = r.size()?;
            let activation = r.u32()?;
            r.u32()?;
            layers.push((inputs, outputs, activation));
        }
        let num_params = r.size()?;
        // A count whose bytes overflow cannot be backed by the file: it is truncated (or corrupt).
        let overflow = NnError::Truncated { needed: usize::MAX, got: bytes.len() };
        let payload = num_params.checked_mul(T::BYTES).ok_or(overflow.clone())?;
        let body_end = r.at.checked_add(payload).ok_or(overflow)?;
        r.need(payload.saturating_add(8))?;
        let stored = u64::from_le_bytes(bytes[body_end..body_end + 8].try_into().expect("8 bytes"));
        if bytes.len() > body_end + 8 {
            return Err(NnError::TrailingBytes(bytes.len() - body_end - 8));
        }
        if fnv1a(&bytes[..body_end]) != stored {
            return Err(NnError::ChecksumMismatch);
        }
        let layers = layers
            .into_iter()
            .map(|(inputs, outputs, a)| Ok(Dense { inputs, outputs, activation: Activation::from_code(a)? }))
            .collect::<Result<Vec<_>, NnError>>()?;
        let spec = Spec::new(layers, Loss::from_code(loss)?)?;
        if spec.num_params() != num_params {
            return Err(NnError::LengthMismatch { what: "params", expected: spec.num_params(), got: num_params });
        }
        let params = r.take(payload)?.chunks_exact(T::BYTES).map(T::get_le).collect();
        Network::from_params(spec, params)
    }

    /// [`Self::to_bytes`] written to a file.
    pub fn save(&self, path: &std::path::Path) -> Result<(), NnError> {
        std::fs::write(path, self.to_bytes()?).map_err(|e| NnError::Io(format!("{}: {e}", path.display())))
    }

    /// [`Self::from_bytes`] of a file.
    pub fn load(path: &std::path::Path) -> Result<Self, NnError> {
        let bytes = std::fs::read(path).map_err(|e| NnError::Io(format!("{}: {e}", path.display())))?;
        Self::from_bytes(&bytes)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn need(&self, n: usize) -> Result<(), NnError> {
        let needed = self.at.saturating_add(n);
        if needed > self.bytes.len() {
            Err(NnError::Truncated { needed, got: self.bytes.len() })
        } else {
            Ok(())
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], NnError> {
        self.need(n)?;
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, NnError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn size(&mut self) -> Result<usize, NnError> {
        let v = u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"));
        usize::try_from(v).map_err(|_| NnError::TooLarge)
    }
}
