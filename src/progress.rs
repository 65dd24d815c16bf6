//! The terminal's progress display (binary only): one line per source while it collects, with the requests it
//! has made and the bytes it has downloaded. The library says what happens as tracing spans and events (target
//! `collect::PROGRESS`); this layer draws them with indicatif, and is installed only when stderr is a terminal.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use kafka_finops::collect::PROGRESS;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

/// The source collecting now: its span, its bar and what it has done so far.
struct Active {
    span: Id,
    name: String,
    bar: ProgressBar,
    requests: u64,
    bytes: u64,
}

#[derive(Default)]
pub struct Progress {
    active: Mutex<Option<Active>>,
}

/// Reads the `name`, `requests` and `bytes` fields of a progress span or event.
#[derive(Default)]
struct Fields {
    name: Option<String>,
    requests: Option<u64>,
    bytes: Option<u64>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "name" {
            self.name = Some(value.to_string());
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "requests" => self.requests = Some(value),
            "bytes" => self.bytes = Some(value),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "name" {
            self.name = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

impl Active {
    fn show(&self) {
        let bytes = if self.bytes > 0 { format!(", {} downloaded", HumanBytes(self.bytes)) } else { String::new() };
        self.bar.set_message(format!("source `{}`: {} request(s){bytes}", self.name, self.requests));
    }
}

impl<S: Subscriber> Layer<S> for Progress {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        if attrs.metadata().target() != PROGRESS {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let bar = ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"));
        bar.enable_steady_tick(Duration::from_millis(120));
        let active = Active { span: id.clone(), name: fields.name.unwrap_or_default(), bar, requests: 0, bytes: 0 };
        active.show();
        *self.active.lock().expect("progress lock") = Some(active);
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != PROGRESS {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(active) = self.active.lock().expect("progress lock").as_mut() {
            active.requests = fields.requests.unwrap_or(active.requests);
            active.bytes = fields.bytes.unwrap_or(active.bytes);
            active.show();
        }
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        let mut active = self.active.lock().expect("progress lock");
        if active.as_ref().is_some_and(|a| a.span == id) {
            // The spinner goes; a plain line stays, as a record of what the source did.
            if let Some(a) = active.take() {
                a.bar.finish_and_clear();
                eprintln!("{} ({:.1} s)", a.bar.message(), a.bar.elapsed().as_secs_f64());
            }
        }
    }
}
