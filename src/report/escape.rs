//! What the peer under test says is data in every format: the one rule, in
//! one place.
//!
//! A server's answer (its `responseMessage`, `cdmReferenceId`, header
//! values, body) and a client's output (standard output and error, its
//! outcome line) can hold anything: markup, Markdown punctuation, control
//! characters. They reach reports as they are, and quoted in findings and
//! the case messages built from them. The operator's words (the target, the
//! client's name and artifacts, settings, a known deviation's reason) are
//! treated alike. Every renderer passes every text it did not write itself
//! through this module, so a report can be published anywhere:
//!
//! | format | what the text becomes |
//! |---|---|
//! | every format | control characters (but tab, line feed and carriage return), the bidirectional overrides and isolates, U+FFFE and U+FFFF shown as `\u{..}`, as the console shows them |
//! | HTML | `&`, `<`, `>` (in an attribute, quotes too) as character references; the page's Content-Security-Policy runs no script and loads nothing |
//! | Markdown | one line; `&`, `<`, `>` as character references; Markdown's punctuation backslash-escaped, a bare URL's `://` and `www.` escaped and an empty comment after each `@`, so no HTML, link, image, emphasis, code, table cell, heading or fence can start |
//! | JUnit XML | quick-junit escapes the markup |
//! | JSON | exact: serde escapes it |
//!
//! ```text
//! peer:     <b>Paid</b> | see [here](https://x.example) `now`
//! HTML:     &lt;b&gt;Paid&lt;/b&gt; | see [here](https://x.example) `now`
//! Markdown: &lt;b&gt;Paid&lt;/b&gt; \| see \[here\](https\://x.example) \`now\`
//! ```

use std::borrow::Cow;

/// The characters a report never shows as they are: every control character
/// but tab, line feed and carriage return (escape sequences begin with one),
/// the bidirectional embeddings, overrides and isolates (they reorder what a
/// reader sees), and the two noncharacters XML cannot carry.
fn hidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}')
}

/// `text` with each hidden character shown as `\u{..}` (an escape as the
/// six characters `\u{1b}`); tab, line feed and carriage return are kept.
pub(super) fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match hidden(c) {
            true => out.extend(c.escape_unicode()),
            false => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text for an HTML element's content.
pub(super) fn html(text: &str) -> String {
    html_escape::encode_text(&visible(text)).into_owned()
}

/// Text for a double-quoted HTML attribute's value.
pub(super) fn html_attribute(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(&visible(text)).into_owned()
}

/// Text for JUnit XML: quick-junit escapes the markup, but drops control
/// characters silently and lets U+FFFE and U+FFFF through; shown here
/// instead, the text stays readable and the XML valid.
pub(super) fn xml(text: &str) -> String {
    visible(text).into_owned()
}

/// The ASCII punctuation that opens something in CommonMark or GitHub's
/// Markdown inline, or in a table: escapes, code spans, emphasis,
/// strikethrough, links and images, table cells, headings, math. `&`, `<`
/// and `>` become character references instead.
const MARKDOWN_PUNCTUATION: &[char] = &['\\', '`', '*', '_', '~', '[', ']', '|', '#', '!', '$'];

/// Text for one Markdown line: a table cell, or inline after the harness's
/// own words. Line breaks become spaces; Markdown's punctuation is
/// backslash-escaped; `&`, `<` and `>` become character references. GitHub
/// links a bare URL or e-mail address: the `:` of a `://` and the `.` of a
/// `www.` are escaped, and an empty comment follows each `@` (GitHub joins
/// the text around an escape before it looks for an address). Rendered, the
/// text reads as it was sent.
pub(super) fn markdown(text: &str) -> String {
    let text = visible(text);
    text.split('@')
        .map(markdown_escaped)
        .collect::<Vec<_>>()
        .join(AT)
}

/// `@`, as Markdown shows it and GitHub links nothing at it.
const AT: &str = "@<!---->";

/// [`markdown`] of a text without `@`.
fn markdown_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let escaped = match c {
            '\r' | '\n' => {
                if c == '\r' {
                    chars.next_if(|(_, next)| *next == '\n');
                }
                out.push(' ');
                continue;
            }
            ':' => text[at..].starts_with("://"),
            '.' => at >= 3 && text.as_bytes()[at - 3..at].eq_ignore_ascii_case(b"www"),
            c => MARKDOWN_PUNCTUATION.contains(&c),
        };
        if escaped {
            out.push('\\');
        }
        out.push(c);
    }
    html_escape::encode_text(&out).into_owned()
}

/// Text for one Markdown line, shown as code: escaped as [`markdown`], in
/// `<code>` (a code span of backticks would show the escapes).
pub(super) fn markdown_code(text: &str) -> String {
    format!("<code>{}</code>", markdown(text))
}
