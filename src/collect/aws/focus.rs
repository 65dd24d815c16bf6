//! The rules of a FOCUS 1.x line that are not a column mapping, stated once: FOCUS 1.0 has no usage type, so one
//! is inferred from the charge description, the service and the pricing unit into the AWS usage-type names the cost
//! classifier (queries/cost_lines_classified.sql) knows. polars (`exports.rs`) and the Athena SQL (`athena_sql.rs`)
//! are both built from [`USAGE_TYPES`].

/// One test on a FOCUS line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// `ChargeDescription`, lowercased, contains this (lowercase) text.
    DescriptionHas(&'static str),
    /// `ServiceName` is exactly this.
    ServiceIs(&'static str),
    /// `PricingUnit` is exactly this.
    PricingUnitIs(&'static str),
    /// `PricingUnit` contains this.
    PricingUnitHas(&'static str),
}

/// A rule holds when every test of one of its alternatives holds (an OR of ANDs). A null column fails its test.
pub type Rule = &'static [&'static [Test]];

use Test::*;

/// The usage type of a line without `x_UsageType`: the first rule that holds, else the charge description itself.
pub const USAGE_TYPES: [(Rule, &str); 8] = [
    (&[&[DescriptionHas("regional data transfer")]], "DataTransfer-Regional-Bytes"),
    (&[&[DescriptionHas("provisioned iops"), DescriptionHas("gp3")]], "EBS:VolumeP-IOPS.gp3"),
    (
        &[&[DescriptionHas("throughput"), DescriptionHas("gp3")], &[PricingUnitIs("GiB/Second-Months")]],
        "EBS:VolumeP-Throughput.gp3",
    ),
    (&[&[DescriptionHas("(gp3) provisioned storage")]], "EBS:VolumeUsage.gp3"),
    (&[&[DescriptionHas("(gp2) provisioned storage")], &[DescriptionHas("ssd (gp2)")]], "EBS:VolumeUsage.gp2"),
    (&[&[DescriptionHas("instance hour"), ServiceIs("Amazon Elastic Compute Cloud")]], "BoxUsage"),
    (&[&[ServiceIs("Amazon Simple Storage Service"), PricingUnitHas("GB-Mo")]], "TimedStorage-ByteHrs"),
    (&[&[ServiceIs("Amazon Simple Storage Service"), DescriptionHas("requests")]], "Requests-Tier1"),
];

/// The column a usage type is taken from when the file has it (AWS's FOCUS exports add it).
pub const USAGE_TYPE_COLUMN: &str = "x_UsageType";
/// The tag column: JSON text in CSV, a MAP in AWS's Parquet exports; keys as the user wrote them (no `user:`).
pub const TAGS: &str = "Tags";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_tests_are_lowercase_as_the_description_they_are_matched_against() {
        for (rule, _) in USAGE_TYPES {
            for test in rule.iter().flat_map(|all| all.iter()) {
                if let DescriptionHas(text) = test {
                    assert_eq!(*text, text.to_lowercase());
                }
            }
        }
    }
}
