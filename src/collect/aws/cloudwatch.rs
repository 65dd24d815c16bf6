//! The `cloudwatch` source: finds which metric series exist with `ListMetrics`, then reads them with
//! `GetMetricData`, up to 500 queries per call, every page followed, over a period-aligned window.
//!
//! What is read (defaults; `metrics` in the config replaces the list):
//! - Amazon MSK (`msk_cluster_name`, default the cluster's name): AWS/Kafka `BytesInPerSec`, `BytesOutPerSec` (per
//!   broker, and per topic where enhanced monitoring publishes it), `KafkaDataLogsDiskUsed`, `RemoteLogSizeBytes`,
//!   `SumOffsetLag`, `EstimatedMaxTimeLag`;
//! - self-managed brokers (`instance_ids`): AWS/EC2 `NetworkIn`, `NetworkOut`;
//! - tiered or shared storage buckets (`buckets`): AWS/S3 `BucketSizeBytes`, `NumberOfObjects` (daily metrics).
//!
//! MSK publishes per-topic rates per broker (`Cluster Name`, `Broker ID`, `Topic`); the model wants a topic's rate,
//! so the per-broker series of a topic are also summed into one series with dimensions `Cluster Name=<cluster>,
//! Topic=<topic>` (the config's cluster name), marked by stat `Average` like its parts.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::primitives::DateTime as AwsDateTime;
use aws_sdk_cloudwatch::types::{Dimension, DimensionFilter, Metric, MetricDataQuery, MetricStat};
use chrono::{DateTime, Utc};

use super::{AwsCallError, AwsSettings, runtime, sdk_config};
use crate::collect::{CollectError, Collected, Source, SourceKindSpec};
use crate::completeness::{SourceReport, SourceStatus};
use crate::schema::{MetricPoint, Table};

/// One metric to read: every series of `metric` in `namespace` whose dimensions include `filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSpec {
    pub namespace: String,
    pub metric: String,
    pub stat: String,
    /// Dimensions every series must have (name, value); the rest are discovered.
    pub filter: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudWatchSettings {
    pub aws: AwsSettings,
    /// The [[clusters]] name the metrics describe.
    pub cluster: String,
    pub metrics: Vec<MetricSpec>,
    pub days: u32,
    pub period_seconds: i32,
    /// End of the window (exclusive); `None` = now. Aligned down to the period.
    pub end_time: Option<DateTime<Utc>>,
}

/// The default metric list for a cluster.
pub fn default_metrics(msk_cluster_name: Option<&str>, instance_ids: &[String], buckets: &[String]) -> Vec<MetricSpec> {
    let spec = |ns: &str, metric: &str, stat: &str, filter: Vec<(String, String)>| MetricSpec {
        namespace: ns.into(),
        metric: metric.into(),
        stat: stat.into(),
        filter,
    };
    let mut out = Vec::new();
    if let Some(name) = msk_cluster_name {
        let f = || vec![("Cluster Name".to_string(), name.to_string())];
        for m in ["BytesInPerSec", "BytesOutPerSec", "MessagesInPerSec", "KafkaDataLogsDiskUsed", "RemoteLogSizeBytes"]
        {
            out.push(spec("AWS/Kafka", m, "Average", f()));
        }
        out.push(spec("AWS/Kafka", "SumOffsetLag", "Maximum", f()));
        out.push(spec("AWS/Kafka", "EstimatedMaxTimeLag", "Maximum", f()));
    }
    for id in instance_ids {
        for m in ["NetworkIn", "NetworkOut"] {
            out.push(spec("AWS/EC2", m, "Sum", vec![("InstanceId".into(), id.clone())]));
        }
    }
    for b in buckets {
        for m in ["BucketSizeBytes", "NumberOfObjects"] {
            out.push(spec("AWS/S3", m, "Average", vec![("BucketName".into(), b.clone())]));
        }
    }
    out
}

pub struct CloudWatchSource {
    pub name: String,
    pub settings: CloudWatchSettings,
}

/// GetMetricData takes at most 500 queries per call.
const QUERIES_PER_CALL: usize = 500;

impl SourceKindSpec for CloudWatchSource {
    const KIND: &'static str = "cloudwatch";
    type File = super::settings::CloudWatchFile;
    type Settings = CloudWatchSettings;
    fn check(
        file: super::settings::CloudWatchFile,
        ctx: &crate::collect::SourceContext<'_>,
        here: std::ops::Range<usize>,
    ) -> Result<CloudWatchSettings, Vec<crate::problem::SettingProblem>> {
        file.check(ctx, here)
    }
    fn collector(name: &str, settings: &CloudWatchSettings) -> Box<dyn Source> {
        Box::new(CloudWatchSource { name: name.to_string(), settings: settings.clone() })
    }
}

impl Source for CloudWatchSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn collect(&self, into: &mut Collected) -> Result<(), CollectError> {
        let mut report = SourceReport::new(&self.name, Self::KIND, &[MetricPoint::NAME]);
        let rt = runtime().map_err(CollectError::runtime)?;
        match rt.block_on(self.read(&mut report.requests)) {
            Ok((points, series)) => {
                report.detail = Some(format!("{series} series, {} points", points.len()));
                tracing::info!(source = %self.name, requests = report.requests, series, points = points.len(), "CloudWatch read");
                into.metric_points.extend(points);
            }
            Err(e) => {
                report.status = SourceStatus::Failed;
                report.detail = Some(e.to_string());
            }
        }
        into.sources.push(report);
        Ok(())
    }
}

/// A series found by ListMetrics, with the stat to read.
#[derive(Debug, Clone)]
struct Series {
    namespace: String,
    metric: String,
    stat: String,
    dimensions: Vec<(String, String)>,
}

impl CloudWatchSource {
    /// The window (aligned to the period), the series ListMetrics finds, their points, and each topic's totals.
    async fn read(&self, requests: &mut u64) -> Result<(Vec<MetricPoint>, usize), AwsCallError> {
        let s = &self.settings;
        let config = sdk_config(&s.aws).await?;
        let client = aws_sdk_cloudwatch::Client::new(&config);
        let period = i64::from(s.period_seconds.max(1));
        let end = s.end_time.unwrap_or_else(Utc::now).timestamp();
        let end = end - end.rem_euclid(period);
        let start = end - i64::from(s.days) * 86_400;
        let start = start - start.rem_euclid(period);
        let series = self.discover(&client, requests).await?;
        let mut points = self.data(&client, &series, (start, end), requests).await?;
        points.extend(topic_totals(&points, &s.cluster));
        points.extend(broker_series(&points, &s.cluster));
        points.sort_by(|a, b| {
            (&a.namespace, &a.metric, &a.dimensions, a.timestamp).cmp(&(
                &b.namespace,
                &b.metric,
                &b.dimensions,
                b.timestamp,
            ))
        });
        Ok((points, series.len()))
    }

    /// The series to read: one paginated ListMetrics per (namespace, metric, filter), each series once.
    async fn discover(
        &self,
        client: &aws_sdk_cloudwatch::Client,
        requests: &mut u64,
    ) -> Result<Vec<Series>, AwsCallError> {
        let s = &self.settings;
        let mut series = Vec::new();
        for spec in &s.metrics {
            let mut token: Option<String> = None;
            for _ in 0..1_000 {
                *requests += 1;
                crate::collect::progress_requests(*requests);
                let mut request = client.list_metrics().namespace(&spec.namespace).metric_name(&spec.metric);
                for (name, value) in &spec.filter {
                    request = request.dimensions(DimensionFilter::builder().name(name).value(value).build());
                }
                let page = request.set_next_token(token.clone()).send().await.map_err(|e| {
                    AwsCallError::new(
                        "cloudwatch:ListMetrics",
                        format!("ListMetrics {} {}", spec.namespace, spec.metric),
                        &e,
                    )
                })?;
                for m in page.metrics() {
                    series.push(series_of(m, spec));
                }
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        series.sort_by(|a, b| (&a.namespace, &a.metric, &a.dimensions).cmp(&(&b.namespace, &b.metric, &b.dimensions)));
        series.dedup_by(|a, b| a.namespace == b.namespace && a.metric == b.metric && a.dimensions == b.dimensions);
        Ok(series)
    }

    /// The series' points over `[start, end)`: GetMetricData in batches of `QUERIES_PER_CALL`, every page followed.
    async fn data(
        &self,
        client: &aws_sdk_cloudwatch::Client,
        series: &[Series],
        (start, end): (i64, i64),
        requests: &mut u64,
    ) -> Result<Vec<MetricPoint>, AwsCallError> {
        let s = &self.settings;
        let mut points = Vec::new();
        for (chunk_index, chunk) in series.chunks(QUERIES_PER_CALL).enumerate() {
            let queries: Vec<MetricDataQuery> = chunk
                .iter()
                .enumerate()
                .map(|(i, se)| {
                    let metric = Metric::builder()
                        .namespace(&se.namespace)
                        .metric_name(&se.metric)
                        .set_dimensions(Some(
                            se.dimensions.iter().map(|(n, v)| Dimension::builder().name(n).value(v).build()).collect(),
                        ))
                        .build();
                    MetricDataQuery::builder()
                        .id(format!("m{i}"))
                        .metric_stat(
                            MetricStat::builder().metric(metric).period(s.period_seconds).stat(&se.stat).build(),
                        )
                        .return_data(true)
                        .build()
                })
                .collect();
            let mut token: Option<String> = None;
            for _ in 0..10_000 {
                *requests += 1;
                crate::collect::progress_requests(*requests);
                let page = client
                    .get_metric_data()
                    .set_metric_data_queries(Some(queries.clone()))
                    .start_time(AwsDateTime::from_secs(start))
                    .end_time(AwsDateTime::from_secs(end))
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        AwsCallError::new(
                            "cloudwatch:GetMetricData",
                            format!("GetMetricData (batch {} of {} series)", chunk_index + 1, chunk.len()),
                            &e,
                        )
                    })?;
                for result in page.metric_data_results() {
                    let Some(se) = result
                        .id()
                        .and_then(|id| id.strip_prefix('m'))
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| chunk.get(i))
                    else {
                        continue;
                    };
                    for (t, v) in result.timestamps().iter().zip(result.values()) {
                        let Some(timestamp) = DateTime::<Utc>::from_timestamp(t.secs(), 0) else { continue };
                        points.push(MetricPoint {
                            namespace: se.namespace.clone(),
                            metric: se.metric.clone(),
                            dimensions: dimensions_text(&se.dimensions),
                            timestamp,
                            stat: se.stat.clone(),
                            value: *v,
                            unit: unit_of(&se.metric).into(),
                        });
                    }
                }
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        Ok(points)
    }
}

fn series_of(m: &Metric, spec: &MetricSpec) -> Series {
    let mut dimensions: Vec<(String, String)> = m
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap_or_default().to_string(), d.value().unwrap_or_default().to_string()))
        .collect();
    dimensions.sort();
    Series {
        namespace: m.namespace().unwrap_or(&spec.namespace).to_string(),
        metric: m.metric_name().unwrap_or(&spec.metric).to_string(),
        stat: spec.stat.clone(),
        dimensions,
    }
}

/// `Key=Value` pairs sorted by key, joined by `,` (the metric_points convention).
fn dimensions_text(dimensions: &[(String, String)]) -> String {
    let mut pairs: Vec<String> = dimensions.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    pairs.join(",")
}

/// Per-topic rates summed over brokers, keyed by the config's cluster name (see the module doc).
fn topic_totals(points: &[MetricPoint], cluster: &str) -> Vec<MetricPoint> {
    let mut sums: BTreeMap<(String, String, DateTime<Utc>), f64> = BTreeMap::new();
    for p in points.iter().filter(|p| {
        p.namespace == "AWS/Kafka"
            && matches!(p.metric.as_str(), "BytesInPerSec" | "BytesOutPerSec" | "MessagesInPerSec")
    }) {
        let mut topic = None;
        let mut broker = false;
        for pair in p.dimensions.split(',') {
            match pair.split_once('=') {
                Some(("Topic", t)) => topic = Some(t.to_string()),
                Some(("Broker ID", _)) => broker = true,
                _ => {}
            }
        }
        if let (Some(topic), true) = (topic, broker) {
            *sums.entry((p.metric.clone(), topic, p.timestamp)).or_default() += p.value;
        }
    }
    sums.into_iter()
        .map(|((metric, topic, timestamp), value)| MetricPoint {
            namespace: "AWS/Kafka".into(),
            unit: unit_of(&metric).into(),
            metric,
            dimensions: crate::schema::topic_dimensions(cluster, &topic),
            timestamp,
            stat: "Average".into(),
            value,
        })
        .collect()
}

/// Each broker's own series (`Broker ID`, no `Topic`) again under the config's cluster name, when MSK's name for the
/// cluster differs from it, so the capacity analysis finds them by the name the rest of the run uses.
fn broker_series(points: &[MetricPoint], cluster: &str) -> Vec<MetricPoint> {
    points
        .iter()
        .filter(|p| p.namespace == "AWS/Kafka")
        .filter_map(|p| {
            let (mut broker, mut named, mut topic) = (None, None, false);
            for pair in p.dimensions.split(',') {
                match pair.split_once('=') {
                    Some(("Broker ID", b)) => broker = b.parse::<i64>().ok(),
                    Some(("Cluster Name", c)) => named = Some(c),
                    Some(("Topic", _)) => topic = true,
                    _ => {}
                }
            }
            let broker = broker.filter(|_| !topic && named.is_some_and(|n| n != cluster))?;
            Some(MetricPoint { dimensions: crate::schema::broker_dimensions(cluster, broker), ..p.clone() })
        })
        .collect()
}

/// CloudWatch's unit for the metrics read by default (GetMetricData does not return units).
fn unit_of(metric: &str) -> &'static str {
    match metric {
        "BytesInPerSec" | "BytesOutPerSec" => "Bytes/Second",
        "MessagesInPerSec" => "Count/Second",
        "KafkaDataLogsDiskUsed" => "Percent",
        "RemoteLogSizeBytes" | "BucketSizeBytes" | "NetworkIn" | "NetworkOut" => "Bytes",
        "SumOffsetLag" | "NumberOfObjects" => "Count",
        "EstimatedMaxTimeLag" => "Seconds",
        _ => "None",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_broker_topic_rates_are_summed_per_topic() {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let p = |dims: &str, v: f64| MetricPoint {
            namespace: "AWS/Kafka".into(),
            metric: "BytesInPerSec".into(),
            dimensions: dims.into(),
            timestamp: t,
            stat: "Average".into(),
            value: v,
            unit: "Bytes/Second".into(),
        };
        let points = vec![
            p("Broker ID=1,Cluster Name=msk-prod,Topic=orders", 10.0),
            p("Broker ID=2,Cluster Name=msk-prod,Topic=orders", 5.5),
            p("Broker ID=1,Cluster Name=msk-prod", 99.0),
        ];
        let totals = topic_totals(&points, "prod");
        assert_eq!(totals.len(), 1);
        assert_eq!(totals[0].dimensions, "Cluster Name=prod,Topic=orders");
        assert_eq!(totals[0].value, 15.5);
        // The broker's own series, again under the config's name; none when MSK's name is the config's.
        let brokers = broker_series(&points, "prod");
        assert_eq!(brokers.len(), 1);
        assert_eq!((brokers[0].dimensions.as_str(), brokers[0].value), ("Broker ID=1,Cluster Name=prod", 99.0));
        assert!(broker_series(&points, "msk-prod").is_empty());
    }

    #[test]
    fn defaults_follow_what_the_cluster_has() {
        let msk = default_metrics(Some("msk-prod"), &[], &[]);
        assert!(msk.iter().all(|m| m.namespace == "AWS/Kafka"));
        assert_eq!(msk.len(), 7);
        let ec2 = default_metrics(None, &["i-1".into()], &["tiered".into()]);
        assert_eq!(
            ec2.iter().map(|m| m.metric.as_str()).collect::<Vec<_>>(),
            ["NetworkIn", "NetworkOut", "BucketSizeBytes", "NumberOfObjects"]
        );
    }
}
