//! The setup passcode (Matter 1.3 §3.9, §4.14.1): a 27-bit decimal number, checked once at
//! construction so every `Passcode` in the program is one the spec allows.

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::error::PasscodeError;

/// Values the spec forbids even though they are in range, or (00000000, 99999999) just outside.
const FORBIDDEN: [u32; 12] = [
    0, 11_111_111, 22_222_222, 33_333_333, 44_444_444, 55_555_555, 66_666_666, 77_777_777,
    88_888_888, 99_999_999, 12_345_678, 87_654_321,
];

/// A valid setup passcode, wiped from memory on drop. Only the commissioner (PASE initiator)
/// holds one during a handshake; the commissionee stores a [`super::Verifier`] instead.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Passcode(u32);

impl Passcode {
    /// The smallest valid passcode.
    pub const MIN: u32 = 1;
    /// The largest valid passcode.
    pub const MAX: u32 = 99_999_998;

    /// The passcode `value`; forbidden values are reported as [`PasscodeError::Forbidden`]
    /// (even 0 and 99 999 999, which are also out of range), other values outside
    /// [`Self::MIN`] ..= [`Self::MAX`] as [`PasscodeError::OutOfRange`].
    pub fn new(value: u32) -> Result<Self, PasscodeError> {
        if FORBIDDEN.contains(&value) {
            return Err(PasscodeError::Forbidden(value));
        }
        if !(Self::MIN..=Self::MAX).contains(&value) {
            return Err(PasscodeError::OutOfRange(value));
        }
        Ok(Passcode(value))
    }

    /// The numeric value.
    pub fn value(&self) -> u32 {
        self.0
    }

    /// The PBKDF2 password: the passcode as a 4-byte little-endian integer (Matter 1.3 §3.9,
    /// §4.14.1).
    pub fn pbkdf_password(&self) -> Zeroizing<[u8; 4]> {
        Zeroizing::new(self.0.to_le_bytes())
    }
}

impl TryFrom<u32> for Passcode {
    type Error = PasscodeError;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Passcode::new(value)
    }
}

impl core::fmt::Debug for Passcode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Passcode(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_test_passcode_and_the_range_ends() {
        for value in [20_202_021, 1, 99_999_998, 12_345_679, 87_654_320] {
            assert_eq!(Passcode::new(value).map(|p| p.value()), Ok(value));
        }
        assert_eq!(
            *Passcode::new(20_202_021).unwrap().pbkdf_password(),
            [0x25, 0x42, 0x34, 0x01]
        );
    }

    #[test]
    fn rejects_every_forbidden_value() {
        for digit in 0..=9u32 {
            let repeated = digit * 11_111_111;
            assert_eq!(
                Passcode::new(repeated),
                Err(PasscodeError::Forbidden(repeated))
            );
        }
        for value in [12_345_678, 87_654_321] {
            assert_eq!(Passcode::new(value), Err(PasscodeError::Forbidden(value)));
        }
    }

    #[test]
    fn rejects_out_of_range_values() {
        for value in [100_000_000, u32::MAX, 1 << 27] {
            assert_eq!(Passcode::new(value), Err(PasscodeError::OutOfRange(value)));
        }
        assert_eq!(Passcode::try_from(5).map(|p| p.value()), Ok(5));
    }

    #[test]
    fn debug_does_not_show_the_value() {
        let shown = format!("{:?}", Passcode::new(20_202_021).unwrap());
        assert!(!shown.contains("20202021"), "{shown}");
    }
}
