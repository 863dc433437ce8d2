//! Faults compiled: each fault of `specs/` becomes a typed [`Mutation`] that
//! says exactly what is changed, or the spec is refused when it loads.
//!
//! Every [`FaultKind`] declares what it applies to ([`applies_to`]); a fault
//! written on a target it does not fit (a timestamp form on a header that is
//! not a timestamp, `empty` on a header, `unknown` on a field that is not the
//! merchant) cannot compile, so applying a fault never falls through to
//! "send the request unchanged".

use crate::spec::{Fault, FaultKind, FaultTarget, FieldType, HeaderFormat, Length, Spec};

/// A malformed X-TIMESTAMP, signed as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampForm {
    /// The same instant in UTC, `Z`.
    UtcZ,
    /// A fraction of a second.
    Fraction,
    /// No offset at all.
    NoOffset,
    /// The same instant at `+08:00`.
    OtherOffset,
    /// `YYYY-13-45T25:61:61+07:00`.
    NotADate,
    /// Well formed, ten minutes behind.
    Drift,
}

/// A wrong X-SIGNATURE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureForm {
    /// Not base64 at all.
    NotBase64,
    /// Made with another private key.
    OtherKey,
    /// Over another text (the two parts swapped).
    OtherText,
    /// Over the timestamp one second earlier than the header's.
    OtherTimestamp,
}

/// The base of a padded string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadBase {
    /// The case's own fresh reference (stays unique).
    Reference,
    /// An unknown merchant id.
    UnknownMerchant,
}

/// What a body fault does to its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldChange {
    /// The field is removed.
    Remove,
    /// The field is `null`.
    Null,
    /// The empty value of its type: `""` or `{}`.
    Empty(FieldType),
    /// A value of another JSON type (the case says which).
    WrongType,
    /// A string of exactly this many characters.
    Padded {
        /// Characters.
        len: usize,
        /// What it starts with.
        base: PadBase,
    },
    /// An unknown merchant id of an ordinary length.
    UnknownMerchant,
}

/// The request body as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyForm {
    /// Bytes that are not JSON.
    NotJson,
    /// No body.
    Empty,
    /// A JSON array holding the body.
    NotObject,
    /// A field no table names.
    ExtraField,
}

/// Exactly what a fault changes in a valid, freshly signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// Nothing: the valid request.
    Valid,
    /// The header is left out.
    RemoveHeader {
        /// Its name as the table prints it.
        header: String,
    },
    /// The content type is `text/plain`.
    ContentTypeNotJson {
        /// The header.
        header: String,
    },
    /// The token without the authorization prefix.
    BearerWithoutPrefix {
        /// The header.
        header: String,
    },
    /// A token the server never issued.
    UnknownToken {
        /// The header.
        header: String,
    },
    /// A partner id the server never issued.
    UnknownPartner {
        /// The header.
        header: String,
    },
    /// The header's value padded past its limit.
    HeaderOverLimit {
        /// The header.
        header: String,
        /// Characters sent.
        len: usize,
    },
    /// A malformed timestamp, signed as sent.
    Timestamp {
        /// The header.
        header: String,
        /// How it is malformed.
        form: TimestampForm,
    },
    /// A wrong signature.
    Signature {
        /// The header.
        header: String,
        /// How it is wrong.
        form: SignatureForm,
    },
    /// One body field changed.
    Field {
        /// Its path (dots for nesting).
        path: String,
        /// How.
        change: FieldChange,
    },
    /// The body as a whole.
    Body(BodyForm),
    /// Another method on the path.
    OtherMethod,
    /// Another path.
    OtherPath,
    /// Two requests with one reference and two bodies.
    ReusedReference,
    /// The same request twice.
    IdenticalReplay,
    /// Many requests at once.
    RateLimitBurst,
    /// Pairs of requests with one key and two bodies, each pair at once.
    ConcurrentReuse,
    /// The valid request with every header name in lower case.
    LowercaseHeaderNames,
}

/// What a fault kind applies to, in words: the reason given when it is
/// written on another target.
pub fn applies_to(kind: FaultKind) -> &'static str {
    use FaultKind::*;
    match kind {
        Valid | BodyNotJson | BodyEmpty | BodyNotObject | ExtraField | OtherMethod | OtherPath
        | LowercaseHeaderNames => "the request as a whole (request.KIND)",
        Missing => "any request header or body field",
        WrongValue => "a header of format content_type_json",
        NoBearerPrefix => "a header of format bearer_token",
        Unknown => {
            "a header of format bearer_token or identifier, or the body field of roles.merchant"
        }
        UtcZ | Fraction | NoOffset | OtherOffset | NotADate | Drift => {
            "a header of format jakarta_timestamp"
        }
        NotBase64 | OtherKey | OtherText | OtherTimestamp => "a header of format rsa_signature",
        OverLimit => {
            "a header of format identifier with a maximum length, or a string body field with a maximum length"
        }
        AtLimit => "a string body field with a maximum length",
        Null | WrongType => "any body field",
        Empty => "a body field of type string or object",
        ReusedReference | IdenticalReplay | RateLimitBurst | ConcurrentReuse => {
            "the business rules (business.KIND)"
        }
    }
}

fn timestamp_form(kind: FaultKind) -> Option<TimestampForm> {
    Some(match kind {
        FaultKind::UtcZ => TimestampForm::UtcZ,
        FaultKind::Fraction => TimestampForm::Fraction,
        FaultKind::NoOffset => TimestampForm::NoOffset,
        FaultKind::OtherOffset => TimestampForm::OtherOffset,
        FaultKind::NotADate => TimestampForm::NotADate,
        FaultKind::Drift => TimestampForm::Drift,
        _ => return None,
    })
}

fn signature_form(kind: FaultKind) -> Option<SignatureForm> {
    Some(match kind {
        FaultKind::NotBase64 => SignatureForm::NotBase64,
        FaultKind::OtherKey => SignatureForm::OtherKey,
        FaultKind::OtherText => SignatureForm::OtherText,
        FaultKind::OtherTimestamp => SignatureForm::OtherTimestamp,
        _ => return None,
    })
}

/// Compiles one fault against the tables, or says why it cannot be applied.
pub fn compile(spec: &Spec, fault: &Fault) -> Result<Mutation, String> {
    use FaultKind as K;
    let refuse = |what: String| {
        Err(format!(
            "fault {fault} cannot be applied: {} applies to {}, and {what}",
            fault.kind.name(),
            applies_to(fault.kind)
        ))
    };
    match &fault.target {
        FaultTarget::Request => match fault.kind {
            K::Valid => Ok(Mutation::Valid),
            K::BodyNotJson => Ok(Mutation::Body(BodyForm::NotJson)),
            K::BodyEmpty => Ok(Mutation::Body(BodyForm::Empty)),
            K::BodyNotObject => Ok(Mutation::Body(BodyForm::NotObject)),
            K::ExtraField => Ok(Mutation::Body(BodyForm::ExtraField)),
            K::OtherMethod => Ok(Mutation::OtherMethod),
            K::OtherPath => Ok(Mutation::OtherPath),
            K::LowercaseHeaderNames => Ok(Mutation::LowercaseHeaderNames),
            _ => refuse("request is the request as a whole".into()),
        },
        FaultTarget::Business => match fault.kind {
            K::ReusedReference => Ok(Mutation::ReusedReference),
            K::IdenticalReplay => Ok(Mutation::IdenticalReplay),
            K::RateLimitBurst => Ok(Mutation::RateLimitBurst),
            K::ConcurrentReuse => Ok(Mutation::ConcurrentReuse),
            _ => refuse("business is the business rules".into()),
        },
        FaultTarget::Header(name) => {
            let Some(row) = spec.request_header(name) else {
                return Err(format!("fault {fault}: unknown request header {name:?}"));
            };
            let header = row.name.clone();
            let format = row.format;
            let what = || {
                format!(
                    "{} is a request header of format {}",
                    row.name,
                    format.name()
                )
            };
            match (fault.kind, format) {
                (K::Missing, _) => Ok(Mutation::RemoveHeader { header }),
                (K::WrongValue, HeaderFormat::ContentTypeJson) => {
                    Ok(Mutation::ContentTypeNotJson { header })
                }
                (K::NoBearerPrefix, HeaderFormat::BearerToken) => {
                    Ok(Mutation::BearerWithoutPrefix { header })
                }
                (K::Unknown, HeaderFormat::BearerToken) => Ok(Mutation::UnknownToken { header }),
                (K::Unknown, HeaderFormat::Identifier) => Ok(Mutation::UnknownPartner { header }),
                (K::OverLimit, HeaderFormat::Identifier) => match row.length.max() {
                    Some(max) => Ok(Mutation::HeaderOverLimit {
                        header,
                        len: max + 1,
                    }),
                    None => refuse(format!("{} has no maximum length", row.name)),
                },
                (kind, HeaderFormat::JakartaTimestamp) if timestamp_form(kind).is_some() => {
                    Ok(Mutation::Timestamp {
                        header,
                        form: timestamp_form(kind).unwrap_or(TimestampForm::UtcZ),
                    })
                }
                (kind, HeaderFormat::RsaSignature) if signature_form(kind).is_some() => {
                    if spec
                        .request_header_of(HeaderFormat::JakartaTimestamp)
                        .is_none()
                    {
                        return refuse(
                            "the header table has no jakarta_timestamp header to sign".into(),
                        );
                    }
                    Ok(Mutation::Signature {
                        header,
                        form: signature_form(kind).unwrap_or(SignatureForm::NotBase64),
                    })
                }
                _ => refuse(what()),
            }
        }
        FaultTarget::Body(name) => {
            let Some(row) = spec.request_field(name) else {
                return Err(format!("fault {fault}: unknown request field {name:?}"));
            };
            let path = row.name.clone();
            let merchant = spec.interpretations.roles.merchant == row.name;
            let field = |change| {
                Ok(Mutation::Field {
                    path: path.clone(),
                    change,
                })
            };
            let string_max = match (row.ty, row.length) {
                (FieldType::String, Length::Variable { max: Some(m) }) => Some(m),
                (FieldType::String, Length::Fixed { len }) => Some(len),
                _ => None,
            };
            let what = format!(
                "{} is a request field of type {:?}{}",
                row.name,
                row.ty,
                if merchant { " (roles.merchant)" } else { "" }
            );
            let base = if merchant {
                PadBase::UnknownMerchant
            } else {
                PadBase::Reference
            };
            match fault.kind {
                K::Missing => field(FieldChange::Remove),
                K::Null => field(FieldChange::Null),
                K::WrongType => field(FieldChange::WrongType),
                K::Empty if matches!(row.ty, FieldType::String | FieldType::Object) => {
                    field(FieldChange::Empty(row.ty))
                }
                K::OverLimit | K::AtLimit => match string_max {
                    Some(max) => field(FieldChange::Padded {
                        len: if fault.kind == K::OverLimit {
                            max + 1
                        } else {
                            max
                        },
                        base,
                    }),
                    None => refuse(what),
                },
                K::Unknown if merchant => field(FieldChange::UnknownMerchant),
                _ => refuse(what),
            }
        }
    }
}
