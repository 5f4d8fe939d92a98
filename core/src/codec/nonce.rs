//! The AES-CCM message nonce (Matter 1.3 §4.8).

/// Length of the AES-CCM nonce used for Matter messages.
pub const MESSAGE_NONCE_LEN: usize = 13;

/// Builds the 13-byte nonce: security flags (1) ‖ message counter (4, LE) ‖ source node id
/// (8, LE).
///
/// `source_node_id` is the node id of the *sender* whether or not the header carries it
/// (Matter 1.3 §4.8): the CASE peer's operational node id, 0 on PASE, the header's source for
/// groups.
pub fn message_nonce(
    security_flags: u8,
    counter: u32,
    source_node_id: u64,
) -> [u8; MESSAGE_NONCE_LEN] {
    let mut nonce = [0u8; MESSAGE_NONCE_LEN];
    let (flags, rest) = nonce.split_at_mut(1);
    let (counter_bytes, node_bytes) = rest.split_at_mut(4);
    flags.copy_from_slice(&[security_flags]);
    counter_bytes.copy_from_slice(&counter.to_le_bytes());
    node_bytes.copy_from_slice(&source_node_id.to_le_bytes());
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_little_endian_in_order() {
        let nonce = message_nonce(0xa5, 0x0403_0201, 0x0c0b_0a09_0807_0605);
        assert_eq!(nonce, [0xa5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
}
