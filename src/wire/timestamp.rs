//! `X-TIMESTAMP`: Jakarta time, exactly `YYYY-MM-DDTHH:mm:ss+07:00`.
//!
//! Making one is easy; parsing one is strict. The API text and the project
//! allow one shape only: 25 characters, no fraction, offset `+07:00` and no
//! other (Jakarta keeps no daylight saving, so the offset never changes).
//! Anything else is refused with an error that says what was expected and
//! what was seen.
//!
//! ```
//! use cdm_conformance::wire::Timestamp;
//!
//! let ts = Timestamp::parse("2023-09-25T17:57:35+07:00").unwrap();
//! assert_eq!(ts.unix_seconds(), 1695639455);
//!
//! let err = Timestamp::parse("2023-09-25T10:57:35Z").unwrap_err();
//! assert_eq!(err.to_string(), r#"timestamp "2023-09-25T10:57:35Z" must end in +07:00"#);
//! ```

use std::fmt;

use time::format_description::FormatItem;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The only offset an X-TIMESTAMP may carry.
pub const JAKARTA: UtcOffset = offset!(+07:00);

/// The exact length of an X-TIMESTAMP.
pub const TIMESTAMP_LEN: usize = 25;

/// The form, as the API text prints it.
pub const FORM: &str = "YYYY-MM-DDTHH:mm:ss+07:00";

const SUFFIX: &str = "+07:00";
const DATE_TIME: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");

/// A well-formed X-TIMESTAMP: an instant and its exact text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    text: String,
    instant: OffsetDateTime,
}

/// Why a string is not a well-formed X-TIMESTAMP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The offset is not `+07:00` (a `Z`, another offset, or none).
    #[error("timestamp {actual:?} must end in +07:00")]
    Offset {
        /// The whole value.
        actual: String,
    },
    /// The value has a fractional second.
    #[error("timestamp {actual:?} must have no fraction of a second")]
    Fraction {
        /// The whole value.
        actual: String,
    },
    /// The value is not 25 characters long.
    #[error("timestamp {actual:?} must be exactly {expected} characters, not {len}")]
    Length {
        /// The whole value.
        actual: String,
        /// 25.
        expected: usize,
        /// The length seen, in characters.
        len: usize,
    },
    /// The value has the right length and offset but is not a date and time.
    #[error("timestamp {actual:?} must be a date and time of the form YYYY-MM-DDTHH:mm:ss+07:00")]
    NotADate {
        /// The whole value.
        actual: String,
    },
    /// An instant whose Jakarta year has no four-digit form.
    #[error(
        "a timestamp needs a Jakarta year from 0000 to 9999; {unix_seconds} s after 1970-01-01T00:00:00Z is outside"
    )]
    OutOfRange {
        /// The instant, in seconds since 1970-01-01T00:00:00Z.
        unix_seconds: i64,
    },
}

impl Timestamp {
    /// The current instant in Jakarta time, whole seconds.
    pub fn now() -> Timestamp {
        // The system clock reads a year between 0 and 9999.
        Timestamp::from_instant(OffsetDateTime::now_utc())
            .unwrap_or_else(|_| unreachable!("the clock is past year 9999"))
    }

    /// The given instant in Jakarta time, truncated to whole seconds.
    ///
    /// Fails for instants whose Jakarta year is outside 0000..=9999, which
    /// have no four-digit form.
    pub fn from_instant(instant: OffsetDateTime) -> Result<Timestamp, TimestampError> {
        let out_of_range = || TimestampError::OutOfRange {
            unix_seconds: instant.unix_timestamp(),
        };
        let local = instant
            .checked_to_offset(JAKARTA)
            .ok_or_else(out_of_range)?;
        let local = local.replace_nanosecond(0).unwrap_or(local);
        if !(0..=9999).contains(&local.year()) {
            return Err(out_of_range());
        }
        let date_time = local.format(DATE_TIME).map_err(|_| out_of_range())?;
        Ok(Timestamp {
            text: format!("{date_time}{SUFFIX}"),
            instant: local,
        })
    }

    /// The instant `secs` seconds after 1970-01-01T00:00:00Z, in Jakarta time.
    pub fn from_unix_seconds(secs: i64) -> Result<Timestamp, TimestampError> {
        let instant = OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|_| TimestampError::OutOfRange { unix_seconds: secs })?;
        Timestamp::from_instant(instant)
    }

    /// Parses an X-TIMESTAMP strictly.
    pub fn parse(value: &str) -> Result<Timestamp, TimestampError> {
        let actual = || value.to_owned();
        let len = value.chars().count();
        if !value.ends_with(SUFFIX) {
            // A fraction before a correct offset is reported below; here the
            // offset itself is wrong or missing.
            return Err(TimestampError::Offset { actual: actual() });
        }
        let head = &value[..value.len() - SUFFIX.len()];
        if head.len() > 19 && head.as_bytes().get(19) == Some(&b'.') {
            return Err(TimestampError::Fraction { actual: actual() });
        }
        if len != TIMESTAMP_LEN {
            return Err(TimestampError::Length {
                actual: actual(),
                expected: TIMESTAMP_LEN,
                len,
            });
        }
        // `time` accepts only the exact digits of the description; check the
        // ASCII shape first so that a sign or a space never sneaks through.
        let shape_ok = head.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
        let date_time = shape_ok
            .then(|| PrimitiveDateTime::parse(head, DATE_TIME).ok())
            .flatten()
            .ok_or_else(|| TimestampError::NotADate { actual: actual() })?;
        Ok(Timestamp {
            text: value.to_owned(),
            instant: date_time.assume_offset(JAKARTA),
        })
    }

    /// The text, exactly as it goes on the wire.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant.
    pub fn instant(&self) -> OffsetDateTime {
        self.instant
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        self.instant.unix_timestamp()
    }
}

/// An instant at any offset, `YYYY-MM-DDTHH:mm:ss` then `Z` for UTC or
/// `±HH:MM`: the malformed variants the harness sends and refuses.
///
/// ```
/// use cdm_conformance::wire::timestamp::{render_at_offset, Timestamp};
/// let ts = Timestamp::parse("2023-09-25T17:57:35+07:00").unwrap();
/// assert_eq!(render_at_offset(ts.instant(), time::UtcOffset::UTC), "2023-09-25T10:57:35Z");
/// ```
pub fn render_at_offset(instant: OffsetDateTime, offset: UtcOffset) -> String {
    let at = instant.checked_to_offset(offset).unwrap_or(instant);
    let head = at.format(DATE_TIME).unwrap_or_default();
    if offset == UtcOffset::UTC {
        return format!("{head}Z");
    }
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "{head}{sign}{:02}:{:02}",
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}
