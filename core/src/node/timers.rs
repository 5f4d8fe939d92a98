//! Timers: standalone acks, retransmissions and their give-up, response timeouts.

use super::{DeliveryError, Event, ExchangeCloseReason, Node};
use crate::exchange::ExchangeId;
use crate::mrp::MRP_MAX_TRANSMISSIONS;
use crate::mrp::reliability::wait_after;
use crate::time::Instant;

impl Node {
    /// Runs everything due at or before `now`, exchange by exchange in identity order.
    pub fn handle_timeout(&mut self, now: Instant) {
        for id in self.exchanges.due(now) {
            self.run_exchange_timers(now, id);
        }
    }

    fn run_exchange_timers(&mut self, now: Instant, id: ExchangeId) {
        // Standalone ack: nothing went out on the exchange within the ack timeout (Matter 1.3
        // §4.12.5.2).
        let ack = self
            .exchanges
            .get_mut(&id)
            .and_then(|ex| match ex.reliability.pending_ack {
                Some(a) if a.deadline <= now => ex.reliability.pending_ack.take(),
                _ => None,
            });
        if let Some(ack) = ack {
            self.send_standalone_ack(now, id, ack.counter);
        }

        // Retransmission or give-up (Matter 1.3 §4.12.2.1, §4.12.2).
        let due = self
            .exchanges
            .get(&id)
            .and_then(|ex| ex.reliability.outstanding.as_ref())
            .filter(|o| o.next_at <= now);
        if let Some(out) = due {
            if usize::from(out.transmissions) >= MRP_MAX_TRANSMISSIONS {
                let counter = out.message_counter;
                if let Some(ex) = self.exchanges.get_mut(&id) {
                    ex.reliability.outstanding = None;
                }
                self.stats.delivery_failures += 1;
                self.events.push_back(Event::DeliveryFailed {
                    exchange: id,
                    message_counter: counter,
                    reason: DeliveryError::RetransmissionsExhausted,
                });
                self.remove_exchange(now, id, ExchangeCloseReason::DeliveryFailed);
                return;
            }
            let (peer, active) = self.peer_timing(id.session, now);
            let n = out.transmissions;
            let wait = wait_after(&peer, active, n, self.config.jitter.next(&mut self.rng));
            let resend = self
                .exchanges
                .get_mut(&id)
                .and_then(|ex| ex.reliability.outstanding.as_mut())
                .map(|o| {
                    o.transmissions += 1;
                    o.next_at = now + wait;
                    (o.destination, o.datagram.clone())
                });
            if let Some((destination, datagram)) = resend {
                // Same bytes, same counter (Matter 1.3 §4.6).
                self.queue_transmit(destination, datagram, id.id, n);
            }
        }

        // Response timeout.
        let expired = self
            .exchanges
            .get(&id)
            .and_then(|ex| ex.response_deadline)
            .is_some_and(|d| d <= now);
        if expired {
            let pending = self
                .exchanges
                .get_mut(&id)
                .and_then(|ex| ex.reliability.pending_ack.take());
            if let Some(ack) = pending {
                self.send_standalone_ack(now, id, ack.counter);
            }
            if let Some(out) = self
                .exchanges
                .get_mut(&id)
                .and_then(|ex| ex.reliability.outstanding.take())
            {
                self.stats.delivery_failures += 1;
                self.events.push_back(Event::DeliveryFailed {
                    exchange: id,
                    message_counter: out.message_counter,
                    reason: DeliveryError::RetransmissionsExhausted,
                });
            }
            self.remove_exchange(now, id, ExchangeCloseReason::Timeout);
        }
    }
}
