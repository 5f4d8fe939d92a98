//! Certificate time: seconds since the Matter epoch (2000-01-01T00:00:00Z, Matter 1.3 §6.5.2
//! tags 4/5) to and from UTC calendar time, and to the ASN.1 time the X.509 rebuild signs over
//! (Matter 1.3 §6.5; connectedhomeip `src/credentials/CHIPCertToX509.cpp`: UTCTime for 1950–2049,
//! GeneralizedTime from 2050, and 0 ↦ `99991231235959Z`).
//!
//! The calendar is the proleptic Gregorian one without leap seconds, as X.509 uses. Written here
//! rather than pulled from a date crate: it is a few lines and needs no clock.

use core::fmt;

use crate::time::Instant;

/// Seconds in one day (no leap seconds in certificate time).
const SECS_PER_DAY: u64 = 86_400;
/// First year of the Matter epoch.
const EPOCH_YEAR: u16 = 2000;
/// Last year a UTCTime can carry (two-digit years 50–99 are 1950–1999, 00–49 are 2000–2049).
const LAST_UTCTIME_YEAR: u16 = 2049;

/// The calendar time X.509 writes for "no well-defined expiration" (RFC 5280 §4.1.2.5), and
/// what both reference stacks write for a Matter time of 0 (Matter 1.3 §6.5; connectedhomeip
/// `src/credentials/CHIPCertToX509.cpp`).
pub const NO_EXPIRY: UtcTime = UtcTime {
    year: 9999,
    month: 12,
    day: 31,
    hour: 23,
    minute: 59,
    second: 59,
};

/// A UTC calendar time with whole seconds, years 2000–9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime {
    /// Year, 2000–9999.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_year(year: u16) -> u64 {
    if is_leap_year(year) { 366 } else { 365 }
}

/// Days in `month` (1–12) of `year`; 0 for a month outside 1–12.
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Leap years in 1..=`year` (Gregorian rule).
fn leap_years_through(year: u64) -> u64 {
    year / 4 - year / 100 + year / 400
}

impl UtcTime {
    /// Whether every field is in range (month 1–12, a day that exists in that month, and so on).
    pub fn is_valid(&self) -> bool {
        (EPOCH_YEAR..=9999).contains(&self.year)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// Seconds from the Matter epoch to this time (u64: year 9999 does not fit a u32), or
    /// `None` if a field is out of range.
    pub fn seconds_since_matter_epoch(&self) -> Option<u64> {
        if !self.is_valid() {
            return None;
        }
        let year = u64::from(self.year);
        let epoch = u64::from(EPOCH_YEAR);
        // Whole years since 2000, plus one day for each leap year among 2000..year.
        let mut days =
            365 * (year - epoch) + leap_years_through(year - 1) - leap_years_through(epoch - 1);
        for month in 1..self.month {
            days += u64::from(days_in_month(self.year, month));
        }
        days += u64::from(self.day) - 1;
        Some(
            days * SECS_PER_DAY
                + u64::from(self.hour) * 3600
                + u64::from(self.minute) * 60
                + u64::from(self.second),
        )
    }

    /// The calendar time `secs` seconds after the Matter epoch (any u32 value, i.e. up to
    /// 2136-02-07).
    pub fn from_matter_epoch(secs: u32) -> Self {
        let secs = u64::from(secs);
        let mut days = secs / SECS_PER_DAY;
        let in_day = secs % SECS_PER_DAY;
        let mut year = EPOCH_YEAR;
        // At most 137 iterations: a u32 of seconds spans under 137 years.
        while days >= days_in_year(year) {
            days -= days_in_year(year);
            year += 1;
        }
        let mut month = 1u8;
        while month < 12 && days >= u64::from(days_in_month(year, month)) {
            days -= u64::from(days_in_month(year, month));
            month += 1;
        }
        // `days` < 31 here and `in_day` < 86 400, so every narrowing below is lossless; the
        // fallbacks are unreachable.
        Self {
            year,
            month,
            day: u8::try_from(days + 1).unwrap_or(1),
            hour: u8::try_from(in_day / 3600).unwrap_or(0),
            minute: u8::try_from(in_day / 60 % 60).unwrap_or(0),
            second: u8::try_from(in_day % 60).unwrap_or(0),
        }
    }

    /// Seconds since the Matter epoch if this time fits the u32 a certificate carries.
    pub fn to_matter_epoch(&self) -> Option<u32> {
        self.seconds_since_matter_epoch()
            .and_then(|s| u32::try_from(s).ok())
    }
}

impl fmt::Display for UtcTime {
    /// ISO 8601, `YYYY-MM-DDTHH:MM:SSZ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The two ASN.1 time types X.509 validity uses (RFC 5280 §4.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Asn1TimeKind {
    /// `UTCTime`, `YYMMDDHHMMSSZ`, years 1950–2049.
    UtcTime,
    /// `GeneralizedTime`, `YYYYMMDDHHMMSSZ`, years from 2050.
    GeneralizedTime,
}

/// An X.509 validity time: a calendar time and the ASN.1 type it is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Asn1Time {
    /// Which ASN.1 type the time is written as.
    pub kind: Asn1TimeKind,
    /// The calendar time.
    pub time: UtcTime,
}

impl Asn1Time {
    /// The X.509 time of a certificate's Matter epoch seconds (Matter 1.3 §6.5; connectedhomeip
    /// `src/credentials/CHIPCertToX509.cpp`): 0 is `99991231235959Z` (GeneralizedTime), years up to
    /// 2049 are UTCTime, later years GeneralizedTime.
    pub fn from_matter_epoch(secs: u32) -> Self {
        let time = if secs == 0 {
            NO_EXPIRY
        } else {
            UtcTime::from_matter_epoch(secs)
        };
        let kind = if time.year <= LAST_UTCTIME_YEAR {
            Asn1TimeKind::UtcTime
        } else {
            Asn1TimeKind::GeneralizedTime
        };
        Self { kind, time }
    }

    /// The DER string content, e.g. `201015142343Z` or `99991231235959Z`.
    pub fn der_string(&self) -> String {
        let t = &self.time;
        let year = match self.kind {
            Asn1TimeKind::UtcTime => format!("{:02}", t.year % 100),
            Asn1TimeKind::GeneralizedTime => format!("{:04}", t.year),
        };
        format!(
            "{year}{:02}{:02}{:02}{:02}{:02}Z",
            t.month, t.day, t.hour, t.minute, t.second
        )
    }
}

/// The effective instant of a certificate time in seconds since the Matter epoch: 0 stands
/// for `99991231235959Z` (Matter 1.3 §6.5.2 tags 4/5), so it lies beyond every u32 time.
pub fn effective_seconds(secs: u32) -> u64 {
    if secs == 0 {
        // NO_EXPIRY is a valid calendar time, so the conversion succeeds; the fallback is
        // unreachable and would still sort after every u32.
        NO_EXPIRY.seconds_since_matter_epoch().unwrap_or(u64::MAX)
    } else {
        u64::from(secs)
    }
}

/// Maps the caller's clock ([`Instant`]) to Matter epoch seconds for validity checks: the
/// simulator's virtual clock starts at some chosen calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatterClock {
    origin_epoch_s: u32,
}

impl MatterClock {
    /// A clock whose [`Instant::ZERO`] is `origin_epoch_s` seconds after the Matter epoch.
    pub const fn new(origin_epoch_s: u32) -> Self {
        Self { origin_epoch_s }
    }

    /// Matter epoch seconds at `now` (whole seconds, truncated; saturates at `u32::MAX`).
    pub fn epoch_seconds(&self, now: Instant) -> u32 {
        let elapsed = u32::try_from(now.as_micros() / 1_000_000).unwrap_or(u32::MAX);
        self.origin_epoch_s.saturating_add(elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> UtcTime {
        UtcTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    #[test]
    fn epoch_start_is_2000_01_01() {
        assert_eq!(UtcTime::from_matter_epoch(0), utc(2000, 1, 1, 0, 0, 0));
        assert_eq!(utc(2000, 1, 1, 0, 0, 0).to_matter_epoch(), Some(0));
    }

    #[test]
    fn known_dates() {
        // 2000 is a leap year (divisible by 400): 2001-01-01 is 366 days in.
        assert_eq!(
            UtcTime::from_matter_epoch(366 * 86_400),
            utc(2001, 1, 1, 0, 0, 0)
        );
        // The connectedhomeip test certificates' notBefore (chip_certificates.json).
        assert_eq!(
            UtcTime::from_matter_epoch(656_087_023),
            utc(2020, 10, 15, 14, 23, 43)
        );
        assert_eq!(
            UtcTime::from_matter_epoch(u32::MAX),
            utc(2136, 2, 7, 6, 28, 15)
        );
    }

    #[test]
    fn leap_days() {
        // 2024-02-29 exists, 2100-02-29 does not (divisible by 100, not by 400).
        let feb29 = utc(2024, 2, 29, 12, 0, 0);
        let secs = feb29.to_matter_epoch().unwrap();
        assert_eq!(UtcTime::from_matter_epoch(secs), feb29);
        assert_eq!(
            UtcTime::from_matter_epoch(secs + 86_400),
            utc(2024, 3, 1, 12, 0, 0)
        );
        assert!(!utc(2100, 2, 29, 0, 0, 0).is_valid());
        let feb28 = utc(2100, 2, 28, 0, 0, 0).to_matter_epoch().unwrap();
        assert_eq!(
            UtcTime::from_matter_epoch(feb28 + 86_400),
            utc(2100, 3, 1, 0, 0, 0)
        );
        assert!(utc(2000, 2, 29, 0, 0, 0).is_valid());
    }

    #[test]
    fn invalid_fields_are_rejected() {
        for bad in [
            utc(1999, 12, 31, 23, 59, 59),
            utc(2020, 0, 1, 0, 0, 0),
            utc(2020, 13, 1, 0, 0, 0),
            utc(2020, 4, 31, 0, 0, 0),
            utc(2020, 1, 0, 0, 0, 0),
            utc(2020, 1, 1, 24, 0, 0),
            utc(2020, 1, 1, 0, 60, 0),
            utc(2020, 1, 1, 0, 0, 60),
        ] {
            assert_eq!(bad.seconds_since_matter_epoch(), None, "{bad:?}");
        }
        // Valid but beyond a u32 of seconds.
        assert_eq!(utc(2137, 1, 1, 0, 0, 0).to_matter_epoch(), None);
    }

    #[test]
    fn utctime_until_2049_generalized_from_2050() {
        let last = utc(2049, 12, 31, 23, 59, 59).to_matter_epoch().unwrap();
        let t = Asn1Time::from_matter_epoch(last);
        assert_eq!(t.kind, Asn1TimeKind::UtcTime);
        assert_eq!(t.der_string(), "491231235959Z");
        let t = Asn1Time::from_matter_epoch(last + 1);
        assert_eq!(t.kind, Asn1TimeKind::GeneralizedTime);
        assert_eq!(t.der_string(), "20500101000000Z");
    }

    #[test]
    fn zero_is_no_expiry() {
        let t = Asn1Time::from_matter_epoch(0);
        assert_eq!(t.kind, Asn1TimeKind::GeneralizedTime);
        assert_eq!(t.der_string(), "99991231235959Z");
        assert!(effective_seconds(0) > u64::from(u32::MAX));
        assert_eq!(effective_seconds(5), 5);
        // 1 is a real time, one second into the epoch.
        assert_eq!(Asn1Time::from_matter_epoch(1).der_string(), "000101000001Z");
    }

    #[test]
    fn round_trip_every_day_boundary_sample() {
        // Every 997 005 s (~11.5 days) across the whole u32 range round-trips.
        let mut secs: u32 = 0;
        while let Some(next) = secs.checked_add(997_005) {
            let t = UtcTime::from_matter_epoch(secs);
            assert!(t.is_valid(), "{t:?}");
            assert_eq!(t.to_matter_epoch(), Some(secs));
            secs = next;
        }
    }

    #[test]
    fn display_is_iso8601() {
        assert_eq!(
            utc(2040, 10, 15, 14, 23, 42).to_string(),
            "2040-10-15T14:23:42Z"
        );
    }

    #[test]
    fn matter_clock_offsets_and_saturates() {
        let clock = MatterClock::new(725_846_400);
        assert_eq!(clock.epoch_seconds(Instant::ZERO), 725_846_400);
        assert_eq!(
            clock.epoch_seconds(Instant::from_millis(2_999)),
            725_846_402
        );
        assert_eq!(
            MatterClock::new(u32::MAX - 1).epoch_seconds(Instant::from_millis(5_000)),
            u32::MAX
        );
    }
}
