//! [`ApiJson`], the JSON body extractor: what the OpenAPI document promises
//! for every request body, enforced in one place. A body is a JSON object
//! (serde would otherwise read `[null, null]` as a struct of two absent
//! fields), and a number with no fractional part is an integer wherever an
//! integer is expected (JSON Schema counts `34387491174583.0` as an integer).
//! Rejections are [`ApiError`]s.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

use super::ApiError;

/// JSON body extractor whose rejections are [`ApiError`]s.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<Value>::from_request(req, state).await?;
        decode(value).map(ApiJson)
    }
}

/// A request body as `T`: an object, integral floats read as integers.
pub fn decode<T: DeserializeOwned>(mut value: Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::invalid("the body must be a JSON object"));
    }
    integral_floats(&mut value);
    serde_json::from_value(value).map_err(|e| ApiError::invalid(e.to_string()))
}

/// Rewrites every float with no fractional part that fits an `i64` as that
/// integer, at any depth.
fn integral_floats(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(i) = n.as_f64().and_then(as_integer) {
                *n = Number::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats),
        Value::Object(members) => members.values_mut().for_each(integral_floats),
        _ => {}
    }
}

/// `f` as an `i64` if it is one exactly.
fn as_integer(f: f64) -> Option<i64> {
    // 2^63 as f64; every integral f64 in [-2^63, 2^63) converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        #[allow(clippy::cast_possible_truncation)]
        Some(f as i64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        id: i64,
        ids: Option<Vec<i64>>,
        name: Option<String>,
    }

    #[test]
    fn integral_floats_are_integers_at_any_depth() {
        let b: Body =
            decode(serde_json::json!({"id": 34387491174583.0, "ids": [1.0, -2.0]})).unwrap();
        assert_eq!(
            b,
            Body {
                id: 34_387_491_174_583,
                ids: Some(vec![1, -2]),
                name: None
            }
        );
    }

    #[test]
    fn fractions_and_non_objects_are_refused() {
        assert!(decode::<Body>(serde_json::json!({"id": 1.5})).is_err());
        assert!(decode::<Body>(serde_json::json!({"id": 1e300})).is_err());
        assert!(decode::<Body>(serde_json::json!([1, null, null])).is_err());
        assert!(decode::<Body>(serde_json::json!(null)).is_err());
    }
}
