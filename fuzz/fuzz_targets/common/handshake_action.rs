//! What the handshake targets (PASE and CASE, both roles) do at each step: deliver the honest
//! peer's pending message, possibly with one byte flipped, or arbitrary bytes.

use arbitrary::Arbitrary;

/// One delivery to the state machine under test.
#[derive(Arbitrary, Debug)]
pub enum Action {
    /// Deliver the honest peer's pending message, with byte `at % len` xor `mask` if given.
    Honest { flip: Option<(u16, u8)> },
    /// Deliver arbitrary bytes under an arbitrary opcode.
    Raw { opcode: u8, payload: Vec<u8> },
}

impl Action {
    /// The (opcode, payload) to deliver. `honest` yields the pending honest message and is
    /// called only for [`Action::Honest`] (a target clones or takes it); `None` when nothing
    /// is pending.
    pub fn message(self, honest: impl FnOnce() -> Option<(u8, Vec<u8>)>) -> Option<(u8, Vec<u8>)> {
        match self {
            Action::Honest { flip } => {
                let (opcode, mut payload) = honest()?;
                if let Some((at, mask)) = flip.filter(|_| !payload.is_empty()) {
                    let i = usize::from(at) % payload.len();
                    payload[i] ^= mask;
                }
                Some((opcode, payload))
            }
            Action::Raw { opcode, payload } => Some((opcode, payload)),
        }
    }
}
