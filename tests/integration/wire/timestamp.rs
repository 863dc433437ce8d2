//! X-TIMESTAMP: Jakarta time, exactly `YYYY-MM-DDTHH:mm:ss+07:00`.

use cdm_conformance::wire::{Timestamp, TimestampError};
use proptest::prelude::*;
use rstest::rstest;
use time::OffsetDateTime;

#[rstest]
#[case::api_text_example("2023-09-25T17:57:35+07:00", 1_695_639_455)]
#[case::response_sample("2023-04-11T21:10:11+07:00", 1_681_222_211)]
#[case::leap_day("2024-02-29T23:59:59+07:00", 1_709_225_999)]
#[case::jakarta_midnight_is_utc_evening("2024-01-01T00:00:00+07:00", 1_704_042_000)]
#[case::year_zero("0000-01-01T07:00:00+07:00", -62_167_219_200)]
#[case::year_9999("9999-12-31T23:59:59+07:00", 253_402_275_599)]
fn well_formed(#[case] text: &str, #[case] unix: i64) {
    let ts = Timestamp::parse(text).unwrap();
    assert_eq!(ts.unix_seconds(), unix);
    assert_eq!(ts.as_str(), text);
}

fn offset() -> fn(&TimestampError) -> bool {
    |e| matches!(e, TimestampError::Offset { .. })
}
fn fraction() -> fn(&TimestampError) -> bool {
    |e| matches!(e, TimestampError::Fraction { .. })
}
fn length() -> fn(&TimestampError) -> bool {
    |e| matches!(e, TimestampError::Length { .. })
}
fn not_a_date() -> fn(&TimestampError) -> bool {
    |e| matches!(e, TimestampError::NotADate { .. })
}

#[rstest]
#[case::utc_z("2023-09-25T10:57:35Z", offset())]
#[case::utc_offset("2023-09-25T10:57:35+00:00", offset())]
#[case::other_offset("2023-09-25T18:57:35+08:00", offset())]
#[case::no_offset("2023-09-25T17:57:35", offset())]
#[case::compact_offset("2023-09-25T17:57:35+0700", offset())]
#[case::trailing_space("2023-09-25T17:57:35+07:00 ", offset())]
#[case::fraction("2023-09-25T17:57:35.123+07:00", fraction())]
#[case::fraction_one_digit("2023-09-25T17:57:35.1+07:00", fraction())]
#[case::leading_space(" 2023-09-25T17:57:35+07:00", length())]
#[case::no_seconds("2023-09-25T17:57+07:00", length())]
#[case::month_13("2023-13-25T17:57:35+07:00", not_a_date())]
#[case::february_30("2023-02-30T17:57:35+07:00", not_a_date())]
#[case::not_leap_day("2023-02-29T17:57:35+07:00", not_a_date())]
#[case::hour_24("2023-09-25T24:00:00+07:00", not_a_date())]
#[case::leap_second("2016-12-31T23:59:60+07:00", not_a_date())]
#[case::space_separator("2023-09-25 17:57:35+07:00", not_a_date())]
#[case::lowercase_t("2023-09-25t17:57:35+07:00", not_a_date())]
#[case::slashes("2023/09/25T17:57:35+07:00", not_a_date())]
#[case::signed_year("+023-09-25T17:57:35+07:00", not_a_date())]
#[case::arabic_indic_digit("٢023-09-25T17:57:35+07:00", not_a_date())]
#[case::not_a_date_at_all("not-a-timestamp-xyz+07:00", not_a_date())]
#[case::empty("", offset())]
fn malformed(#[case] text: &str, #[case] kind: fn(&TimestampError) -> bool) {
    let err = Timestamp::parse(text).expect_err("must be refused");
    assert!(kind(&err), "{text:?} refused with the wrong error: {err:?}");
    assert!(
        err.to_string().contains(&format!("{text:?}")),
        "message names the value: {err}"
    );
}

#[rstest]
#[case::utc_z(
    "2023-09-25T10:57:35Z",
    r#"timestamp "2023-09-25T10:57:35Z" must end in +07:00"#
)]
#[case::fraction(
    "2023-09-25T17:57:35.123+07:00",
    r#"timestamp "2023-09-25T17:57:35.123+07:00" must have no fraction of a second"#
)]
#[case::month_13(
    "2023-13-25T17:57:35+07:00",
    r#"timestamp "2023-13-25T17:57:35+07:00" must be a date and time of the form YYYY-MM-DDTHH:mm:ss+07:00"#
)]
fn error_messages(#[case] text: &str, #[case] message: &str) {
    assert_eq!(Timestamp::parse(text).unwrap_err().to_string(), message);
}

#[test]
fn now_is_jakarta_time_and_whole_seconds() {
    let before = OffsetDateTime::now_utc().unix_timestamp();
    let ts = Timestamp::now();
    let after = OffsetDateTime::now_utc().unix_timestamp();
    assert!(ts.as_str().ends_with("+07:00"));
    assert_eq!(ts.as_str().len(), 25);
    assert!((before..=after).contains(&ts.unix_seconds()));
    assert_eq!(Timestamp::parse(ts.as_str()).unwrap(), ts);
}

#[test]
fn years_without_four_digits_are_refused_not_clamped() {
    // 9999-12-31T17:00:00Z is 10000-01-01T00:00:00+07:00.
    let err = Timestamp::from_unix_seconds(253_402_275_600).unwrap_err();
    assert_eq!(
        err,
        TimestampError::OutOfRange {
            unix_seconds: 253_402_275_600
        }
    );
    assert!(Timestamp::from_unix_seconds(253_402_275_599).is_ok());
    // Before 0000-01-01T00:00:00+07:00.
    assert!(Timestamp::from_unix_seconds(-62_167_244_401).is_err());
}

/// The independent oracle: the exact shape, and a real calendar date and time.
fn oracle_accepts(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 25 || !s.ends_with("+07:00") {
        return false;
    }
    let shape = b[..19].iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b'T',
        13 | 16 => *c == b':',
        _ => c.is_ascii_digit(),
    });
    if !shape {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap();
    let (y, m, d, h, mi, se) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d) && h < 24 && mi < 60 && se < 60
}

fn mutated_timestamp() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        '0', '1', '2', '3', '9', '-', ':', 'T', 't', 'Z', '+', '.', ' ', '7', 'é',
    ]);
    (0i64..253_402_300_799, 0usize..25, chars, 0u8..4).prop_map(|(secs, pos, c, op)| {
        let mut v: Vec<char> = Timestamp::from_unix_seconds(secs - 25_200)
            .unwrap()
            .as_str()
            .chars()
            .collect();
        match op {
            0 => v[pos] = c,
            1 => v.insert(pos, c),
            2 => {
                v.remove(pos);
            }
            _ => {} // unchanged
        }
        v.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Any instant of years 0000 to 9999 formats to 25 characters that parse
    /// back to the same instant, truncated to the second.
    #[test]
    fn any_instant_round_trips(secs in -62_167_244_400i64..253_402_275_599, nanos in 0u32..1_000_000_000) {
        let instant = OffsetDateTime::from_unix_timestamp(secs).unwrap().replace_nanosecond(nanos).unwrap();
        let ts = Timestamp::from_instant(instant).unwrap();
        prop_assert_eq!(ts.as_str().len(), 25);
        let back = Timestamp::parse(ts.as_str()).unwrap();
        prop_assert_eq!(back.unix_seconds(), secs);
        prop_assert_eq!(back.as_str(), ts.as_str());
    }

    /// A timestamp with one character changed, added or removed is accepted
    /// exactly when it still has the exact form and names a real instant.
    #[test]
    fn only_the_exact_form_is_accepted(s in mutated_timestamp()) {
        prop_assert_eq!(Timestamp::parse(&s).is_ok(), oracle_accepts(&s), "{:?}", s);
    }

    /// Arbitrary strings: never a panic, and accepted only by the oracle.
    #[test]
    fn arbitrary_strings(s in "\\PC{0,40}") {
        prop_assert_eq!(Timestamp::parse(&s).is_ok(), oracle_accepts(&s), "{:?}", s);
    }
}
