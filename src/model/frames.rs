//! Reading the join stage's frames into plain Rust values: the point where polars types stop.

use polars::prelude::*;
use rust_decimal::Decimal;

use super::ModelError;

/// Column accessors by name over one frame, with errors naming the table and column.
pub struct FrameReader<'a> {
    pub table: &'static str,
    pub frame: &'a DataFrame,
}

impl<'a> FrameReader<'a> {
    pub fn len(&self) -> usize {
        self.frame.height()
    }

    fn column(&self, name: &str, dtype: DataType) -> Result<Series, ModelError> {
        self.frame.column(name).and_then(|c| c.as_materialized_series().cast(&dtype)).map_err(|e| ModelError::Column {
            table: self.table,
            column: name.to_string(),
            reason: e.to_string(),
        })
    }

    pub fn opt_str(&self, name: &str) -> Result<Vec<Option<String>>, ModelError> {
        let s = self.column(name, DataType::String)?;
        Ok(s.str().expect("cast to String").iter().map(|v| v.map(str::to_string)).collect())
    }

    /// A column the join contract says is never null: a null is an error naming table, column and row, never
    /// read as "" (or 0, or false).
    pub fn str(&self, name: &str) -> Result<Vec<String>, ModelError> {
        self.required(name, self.opt_str(name)?)
    }

    fn required<T>(&self, name: &str, values: Vec<Option<T>>) -> Result<Vec<T>, ModelError> {
        values
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                v.ok_or_else(|| ModelError::Column {
                    table: self.table,
                    column: name.to_string(),
                    reason: format!("row {row} is null, where the join contract has a value"),
                })
            })
            .collect()
    }

    pub fn opt_i64(&self, name: &str) -> Result<Vec<Option<i64>>, ModelError> {
        let s = self.column(name, DataType::Int64)?;
        Ok(s.i64().expect("cast to Int64").iter().collect())
    }

    pub fn i64(&self, name: &str) -> Result<Vec<i64>, ModelError> {
        self.required(name, self.opt_i64(name)?)
    }

    pub fn opt_f64(&self, name: &str) -> Result<Vec<Option<f64>>, ModelError> {
        let s = self.column(name, DataType::Float64)?;
        Ok(s.f64().expect("cast to Float64").iter().collect())
    }

    pub fn opt_bool(&self, name: &str) -> Result<Vec<Option<bool>>, ModelError> {
        let s = self.column(name, DataType::Boolean)?;
        Ok(s.bool().expect("cast to Boolean").iter().collect())
    }

    pub fn bool(&self, name: &str) -> Result<Vec<bool>, ModelError> {
        self.required(name, self.opt_bool(name)?)
    }

    /// Decimal columns go through their exact text form, never through f64; never null.
    pub fn decimal(&self, name: &str) -> Result<Vec<Decimal>, ModelError> {
        let texts = self.required(name, self.opt_str(name)?)?;
        texts
            .into_iter()
            .map(|text| {
                text.parse::<Decimal>().map_err(|e| ModelError::Column {
                    table: self.table,
                    column: name.to_string(),
                    reason: format!("`{text}` is not a decimal: {e}"),
                })
            })
            .collect()
    }
}
