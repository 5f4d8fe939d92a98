//! Peer active / idle test (Matter 1.3 §4.12.2.1).

use core::time::Duration;

/// Whether the peer counts as active: a message was received from it less than
/// `active_threshold` (the **peer's** SESSION_ACTIVE_THRESHOLD) ago.
///
/// `since_last_rx` is the time elapsed since the last message received from the peer (any
/// message, including duplicates and standalone acks). The comparison is strict, as matter.js
/// `now − activeTimestamp < activeThreshold`: at exactly the threshold the peer is idle. A peer
/// from which nothing was ever received is the caller's decision (matter.js treats it as idle
/// for an unsecured session it initiated and as active for new secure sessions).
pub fn is_peer_active(since_last_rx: Duration, active_threshold: Duration) -> bool {
    since_last_rx < active_threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_strictly_before_threshold() {
        let threshold = Duration::from_millis(4000);
        assert!(is_peer_active(Duration::ZERO, threshold));
        assert!(is_peer_active(Duration::from_millis(3999), threshold));
        assert!(is_peer_active(
            Duration::from_millis(4000) - Duration::from_nanos(1),
            threshold
        ));
        assert!(!is_peer_active(Duration::from_millis(4000), threshold));
        assert!(!is_peer_active(Duration::from_secs(3600), threshold));
    }

    #[test]
    fn zero_threshold_means_never_active() {
        assert!(!is_peer_active(Duration::ZERO, Duration::ZERO));
    }
}
