//! The CSV files of a run, each rendered to bytes. Row structs from
//! [`crate::stats::tables`] are the schemas; `paths.csv` and `events.csv`
//! take their columns from the [`Record`]s of [`crate::results`], with
//! entity names from the scenario. Every file is documented column by column in `docs/outputs.md`.

use serde::Serialize;

use super::ExportError;
use crate::model::Model;
use crate::results::{
    ClassFinal, Collected, EventRecord, Field, LiquidationRecord, LoopFinal, LrtFinal, MarketFinal,
    NameRef, OperatorFinal, PathRow, ProtocolFinal, Record, TotalFinal,
};
use crate::stats::exits::{EXIT_COLUMNS, ExitRow};

/// Serialises rows with a header.
pub fn rows_to_csv<T: Serialize>(name: &str, rows: &[T]) -> Result<Vec<u8>, ExportError> {
    let err = |source| ExportError::Csv {
        name: name.to_string(),
        reason: source,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(err)?;
    }
    w.into_inner().map_err(|e| ExportError::Csv {
        name: name.to_string(),
        reason: e.into_error().into(),
    })
}

/// Renders a header and records (fields already formatted) as CSV.
pub fn records_to_csv(
    name: &str,
    header: &[String],
    records: &[Vec<String>],
) -> Result<Vec<u8>, ExportError> {
    let err = |source| ExportError::Csv {
        name: name.to_string(),
        reason: source,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(err)?;
    for r in records {
        w.write_record(r).map_err(err)?;
    }
    w.into_inner().map_err(|e| ExportError::Csv {
        name: name.to_string(),
        reason: e.into_error().into(),
    })
}

/// A field as written in a CSV cell: numbers as Rust prints them (the
/// shortest text that reads back to the same value), names by the model.
pub fn cell(field: Field, model: &Model) -> String {
    match field {
        Field::Real(x) => x.to_string(),
        Field::Count(n) => n.to_string(),
        Field::Source(s) => s.kind_name().to_string(),
        Field::Name(NameRef::Protocol(p)) => model.protocols[p].name.clone(),
        Field::Name(NameRef::Shock(s)) => model.shocks[s].name.clone(),
        Field::Name(NameRef::Operator(o)) => model.operators[o].name.clone(),
        Field::Name(NameRef::Class(c)) => model.classes[c].name.clone(),
        Field::Name(NameRef::Market(m)) => model.markets[m].name.clone(),
        Field::Name(NameRef::Nobody) => String::new(),
    }
}

/// The columns of `R` prefixed `<prefix>.`.
fn prefixed<R: Record>(prefix: &str) -> impl Iterator<Item = String> + '_ {
    R::COLUMNS
        .iter()
        .map(move |c| format!("{prefix}.{}", c.name))
}

/// The header of `paths.csv`: `path`, the total's columns (`total.`), then
/// each class's (`<class>.`), each protocol's (`<protocol>.`), each LRT's
/// (`<lrt>.`), each lending market's (`<market>.`), each looping class's
/// loop figures (`<class>.`) and each operator's (`<operator>.`).
pub fn paths_header(model: &Model) -> Vec<String> {
    let mut header = vec!["path".to_string()];
    header.extend(prefixed::<TotalFinal>("total"));
    for c in &model.classes {
        header.extend(prefixed::<ClassFinal>(&c.name));
    }
    for p in &model.protocols {
        header.extend(prefixed::<ProtocolFinal>(&p.name));
    }
    for l in &model.lrts {
        header.extend(prefixed::<LrtFinal>(&l.name));
    }
    for m in &model.markets {
        header.extend(prefixed::<MarketFinal>(&m.name));
    }
    for c in model.classes.iter().filter(|c| c.is_loop()) {
        header.extend(prefixed::<LoopFinal>(&c.name));
    }
    for o in &model.operators {
        header.extend(prefixed::<OperatorFinal>(&o.name));
    }
    header
}

/// `paths.csv` written a row at a time, so that a run of any number of
/// paths is written without holding its rows (or their text) in memory.
pub struct PathsCsv<'m, W: std::io::Write> {
    writer: csv::Writer<W>,
    model: &'m Model,
    cells: Vec<String>,
}

impl<'m, W: std::io::Write> PathsCsv<'m, W> {
    /// Starts `paths.csv` on `out` with its header.
    pub fn new(out: W, model: &'m Model) -> Result<Self, ExportError> {
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record(paths_header(model))
            .map_err(paths_error)?;
        Ok(PathsCsv {
            writer,
            model,
            cells: Vec::new(),
        })
    }

    /// Writes the next path's row.
    pub fn row(&mut self, r: &PathRow) -> Result<(), ExportError> {
        let fields = std::iter::once(Field::Count(u64::from(r.path)))
            .chain(r.total.fields())
            .chain(r.classes.iter().flat_map(Record::fields))
            .chain(r.protocols.iter().flat_map(Record::fields))
            .chain(r.lrts.iter().flat_map(Record::fields))
            .chain(r.markets.iter().flat_map(Record::fields))
            .chain(r.loops.iter().flat_map(Record::fields))
            .chain(r.operators.iter().flat_map(Record::fields));
        self.cells.clear();
        self.cells.extend(fields.map(|f| cell(f, self.model)));
        self.writer.write_record(&self.cells).map_err(paths_error)
    }

    /// Flushes what is buffered and returns the output.
    pub fn finish(self) -> Result<W, ExportError> {
        self.writer
            .into_inner()
            .map_err(|e| paths_error(e.into_error().into()))
    }
}

/// A CSV error of `paths.csv`.
fn paths_error(reason: csv::Error) -> ExportError {
    ExportError::Csv {
        name: "paths.csv".to_string(),
        reason,
    }
}

/// `paths.csv`: one row per path, in [`paths_header`]'s columns.
pub fn paths_csv(model: &Model, rows: &[PathRow]) -> Result<Vec<u8>, ExportError> {
    let mut csv = PathsCsv::new(Vec::new(), model)?;
    for r in rows {
        csv.row(r)?;
    }
    csv.finish()
}

/// A log of records as CSV: a header of `R`'s columns, one row each.
fn log_csv<R: Record>(name: &str, model: &Model, rows: &[R]) -> Result<Vec<u8>, ExportError> {
    let header: Vec<String> = R::COLUMNS.iter().map(|c| c.name.to_string()).collect();
    let records: Vec<Vec<String>> = rows
        .iter()
        .map(|e| e.fields().into_iter().map(|f| cell(f, model)).collect())
        .collect();
    records_to_csv(name, &header, &records)
}

/// `exits.csv`: the rows given, or only the header when there are none
/// (no class had an exit released).
pub fn exits_csv(rows: &[ExitRow]) -> Result<Vec<u8>, ExportError> {
    if rows.is_empty() {
        let header: Vec<String> = EXIT_COLUMNS.iter().map(|c| c.to_string()).collect();
        return records_to_csv("exits.csv", &header, &[]);
    }
    rows_to_csv("exits.csv", rows)
}

/// `events.csv`: the logged slashing events in path order, in
/// [`EventRecord`]'s columns.
pub fn events_csv(model: &Model, collected: &Collected) -> Result<Vec<u8>, ExportError> {
    log_csv::<EventRecord>("events.csv", model, &collected.events)
}

/// `liquidations.csv`: the logged liquidations in path order, in
/// [`LiquidationRecord`]'s columns (written for scenarios with lending
/// markets only).
pub fn liquidations_csv(model: &Model, collected: &Collected) -> Result<Vec<u8>, ExportError> {
    log_csv::<LiquidationRecord>("liquidations.csv", model, &collected.liquidations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_csv_has_its_header_with_or_without_rows() {
        assert_eq!(exits_csv(&[]).unwrap(), b"class,statistic,value\n");
        let row = ExitRow {
            class: "c".into(),
            statistic: "count",
            value: 2.0,
        };
        assert_eq!(
            exits_csv(&[row]).unwrap(),
            b"class,statistic,value\nc,count,2.0\n"
        );
    }
}
