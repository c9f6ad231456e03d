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
            } else if is_yaml_float(&plain) {
                Value::Float(plain.parse::<f64>().ok()?)
            } else {
                return None;
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

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
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
