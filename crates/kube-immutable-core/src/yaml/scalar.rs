//! YAML 1.1 scalar resolution, as go-yaml v2 does it under `sigs.k8s.io/yaml`
//! (what kubectl and the API machinery use to turn YAML into JSON).
//!
//! A YAML 1.2 reader would take `privileged: yes` for the string `"yes"`;
//! Kubernetes takes it for `true`. Only plain (unquoted) scalars resolve.

use crate::node::Value;

/// Resolve a plain scalar.
pub(crate) fn resolve_plain(s: &str) -> Value {
    resolve_non_string(s).unwrap_or_else(|| Value::Str(s.to_owned()))
}

/// Resolve a plain scalar the reader owns or borrows: a string (most
/// scalars) is moved into the value, not copied.
pub(crate) fn resolve_plain_cow(s: std::borrow::Cow<'_, str>) -> Value {
    resolve_non_string(&s).unwrap_or_else(|| Value::Str(s.into_owned()))
}

/// What a plain scalar is when it is not a string.
fn resolve_non_string(s: &str) -> Option<Value> {
    // No word below is longer than five bytes: most strings stop here.
    if s.len() > 5 && !matches!(s.as_bytes()[0], b'0'..=b'9' | b'+' | b'-' | b'.') {
        return None;
    }
    Some(match s {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => {
            let first = s.as_bytes()[0];
            if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
                return None;
            }
            let plain = if s.contains('_') {
                std::borrow::Cow::Owned(s.replace('_', ""))
            } else {
                std::borrow::Cow::Borrowed(s)
            };
            if let Some(i) = parse_go_int(&plain) {
                Value::Int(i)
            } else {
                Value::Float(parse_yaml_float(&plain)?)
            }
        }
    })
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`, a
/// leading `0` (octal) or decimal digits. Values beyond `i64` become floats
/// in go-yaml; callers only need integers, so they are not integers here.
fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) =
        if let Some(d) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = rest.strip_prefix("0o").or_else(|| rest.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = rest.strip_prefix("0b").or_else(|| rest.strip_prefix("0B")) {
            (2, d)
        } else if rest.len() > 1 && rest.starts_with('0') {
            (8, &rest[1..])
        } else {
            (10, rest)
        };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let magnitude = i128::from(u64::from_str_radix(digits, radix).ok()?);
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// A float in go-yaml's syntax,
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, and its value;
/// `None` for any other text.
///
/// Not `str::parse::<f64>`: its correctly rounded algorithm carries tables
/// that were 15 KB of the playground's gzipped wasm, for numbers no
/// Kubernetes field takes (the rules read integers: an integral float is
/// one, as in Kubernetes). The value is exact, as `parse` gives it, when the
/// digits, without leading or trailing zeros, are at most 15 and the point
/// moves them by at most 22 places (`1.5`, `0.25`, `1e3`, `1e22`,
/// `123456789012345e-22`); otherwise it is within a few units in the last
/// place (the property tests bound it).
fn parse_yaml_float(s: &str) -> Option<f64> {
    /// The powers of ten that `f64` holds exactly.
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    /// Integers up to 2^53 are exact in `f64`.
    const MAX_EXACT: u64 = 1 << 53;

    let b = s.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    // The first 19 significant digits (they fit a u64) and the power of
    // ten they are multiplied by.
    let (mut mantissa, mut significant, mut exponent) = (0u64, 0u32, 0i64);
    let mut digits = |i: &mut usize, fraction: bool| {
        let start = *i;
        while let Some(d) = b.get(*i).filter(|d| d.is_ascii_digit()) {
            if significant < 19 {
                mantissa = mantissa * 10 + u64::from(d - b'0');
                significant += u32::from(mantissa > 0);
                exponent -= i64::from(fraction);
            } else if !fraction {
                exponent += 1;
            }
            *i += 1;
        }
        *i - start
    };
    let whole = digits(&mut i, false);
    let fraction = if b.get(i) == Some(&b'.') {
        i += 1;
        digits(&mut i, true)
    } else {
        0
    };
    if whole + fraction == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative_exponent = b.get(i) == Some(&b'-');
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        let start = i;
        let mut e = 0i64;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            // Past a million, the number is 0 or infinite either way.
            e = (e * 10 + i64::from(d - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exponent += if negative_exponent { -e } else { e };
    }
    if i != b.len() {
        return None;
    }

    let value = if mantissa == 0 {
        0.0
    } else {
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        // `1e30` is `1000000000e21`: exact.
        while exponent > 22 && mantissa <= MAX_EXACT / 10 {
            mantissa *= 10;
            exponent -= 1;
        }
        #[allow(clippy::cast_precision_loss)] // rounds once; exact up to 2^53
        let mut x = mantissa as f64;
        // One operation on exact operands is correctly rounded; more are
        // within a unit in the last place each.
        while exponent > 22 && x.is_finite() {
            x *= POW10[22];
            exponent -= 22;
        }
        while exponent < -22 && x != 0.0 {
            x /= POW10[22];
            exponent += 22;
        }
        #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // within ±22
        let power = POW10[exponent.unsigned_abs().min(22) as usize];
        if exponent >= 0 {
            x * power
        } else {
            x / power
        }
    };
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans() {
        for t in [
            "yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true", "True",
        ] {
            assert_eq!(resolve_plain(t), Value::Bool(true), "{t}");
        }
        for f in [
            "no", "No", "NO", "off", "Off", "OFF", "n", "N", "false", "FALSE",
        ] {
            assert_eq!(resolve_plain(f), Value::Bool(false), "{f}");
        }
        assert_eq!(resolve_plain("yEs"), Value::Str("yEs".into()));
    }

    #[test]
    fn go_integers() {
        for zero in ["0", "0x0", "0o0", "00", "+0", "-0", "0b0", "0_0"] {
            assert_eq!(resolve_plain(zero), Value::Int(0), "{zero}");
        }
        assert_eq!(resolve_plain("010"), Value::Int(8));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("1_000"), Value::Int(1000));
        assert_eq!(resolve_plain("-12"), Value::Int(-12));
        // Not octal, but go-yaml then reads it as the float 8.
        assert_eq!(resolve_plain("08"), Value::Float(8.0));
        assert_eq!(resolve_plain("0x"), Value::Str("0x".into()));
        assert_eq!(resolve_plain("+-1"), Value::Str("+-1".into()));
    }

    /// go-yaml's float regex, as the reader matched it before it read the
    /// value itself: the oracle of [`parse_yaml_float`]'s syntax.
    fn is_yaml_float(s: &str) -> bool {
        let b = s.as_bytes();
        let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
        let digits = |i: &mut usize| {
            let start = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            *i - start
        };
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return false;
            }
        } else {
            if digits(&mut i) == 0 {
                return false;
            }
            if b.get(i) == Some(&b'.') {
                i += 1;
                digits(&mut i);
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return false;
            }
        }
        i == b.len()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Any text of float characters: a float exactly when go-yaml's
        /// regex says so, and then the value `parse` gives, or within
        /// 1e-14 of it.
        #[test]
        fn float_syntax_and_value(s in "[-+]?[0-9]{0,25}[.]?[0-9]{0,25}([eE][-+]?[0-9]{1,3})?|[-+.eE0-9]{0,8}") {
            let ours = parse_yaml_float(&s);
            proptest::prop_assert_eq!(ours.is_some(), is_yaml_float(&s), "{}", s);
            if let Some(ours) = ours {
                let std: f64 = s.parse().unwrap();
                if std == 0.0 || std.is_infinite() || std.abs() < f64::MIN_POSITIVE || std.abs() > 1e307 {
                    // Overflow, underflow and subnormals: only the sign and
                    // which side of the range.
                    proptest::prop_assert_eq!(ours.is_sign_negative(), std.is_sign_negative(), "{}", s);
                    proptest::prop_assert_eq!(ours == 0.0, std == 0.0, "{}", s);
                } else {
                    proptest::prop_assert!(((ours - std) / std).abs() <= 1e-14, "{}: {} against {}", s, ours, std);
                }
            }
        }

        /// Up to 15 significant digits, moved at most 22 places: exactly
        /// `parse`, however they are written.
        #[test]
        fn short_floats_are_exact(
            mantissa in 0u64..1_000_000_000_000_000,
            point in 0usize..16,
            zeros in 0usize..4,
            exponent in -22i32..=22,
            sign in "[-+]?",
            e in "[eE]",
        ) {
            let digits = mantissa.to_string();
            let point = point.min(digits.len());
            let shift = i32::try_from(digits.len() - point).unwrap();
            let exponent = exponent + shift;
            let s = format!("{sign}{}{}.{}{}{e}{exponent}", "0".repeat(zeros), &digits[..point], &digits[point..], "0".repeat(zeros));
            let std: f64 = s.parse().unwrap();
            proptest::prop_assert_eq!(parse_yaml_float(&s).map(f64::to_bits), Some(std.to_bits()), "{}", s);
        }
    }

    #[test]
    fn float_edges() {
        for (text, value) in [
            ("1e22", 1e22),
            ("1e30", 1e30),
            ("123456789012345e-22", 123_456_789_012_345e-22),
            ("9007199254740993", 9_007_199_254_740_992.0),
            ("1e400", f64::INFINITY),
            ("-1e400", f64::NEG_INFINITY),
            ("1e-400", 0.0),
            ("1e999999999999", f64::INFINITY),
            ("0.000", 0.0),
            ("1.e5", 1e5),
        ] {
            assert_eq!(parse_yaml_float(text), Some(value), "{text}");
        }
        assert!(parse_yaml_float("-0.0").unwrap().is_sign_negative());
        for not_a_float in [
            "", ".", "-", "+.", "e5", ".e5", "1e", "1e+", "1..2", "1.2.3", "0x1p3", "1_0",
        ] {
            assert_eq!(parse_yaml_float(not_a_float), None, "{not_a_float}");
        }
    }

    #[test]
    fn floats_and_strings() {
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("1."), Value::Float(1.0));
        assert_eq!(resolve_plain("inf"), Value::Str("inf".into()));
        assert_eq!(resolve_plain("1.2.3"), Value::Str("1.2.3".into()));
        assert_eq!(resolve_plain("-"), Value::Str("-".into()));
        assert!(matches!(resolve_plain(".nan"), Value::Float(f) if f.is_nan()));
        assert_eq!(resolve_plain("~"), Value::Null);
    }
}
