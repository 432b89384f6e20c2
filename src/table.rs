//! Tables of signed 64-bit integer columns in Parquet files: what the stages of a staged run
//! (`dedup stage`) write for a query engine to join, and read back from it.
//!
//! In: a table's named columns (to write), or a Parquet file and the names of the columns
//! wanted (to read; any engine's file: optional or required columns, 32- or 64-bit integers,
//! uncompressed or snappy). Out: the file, with the key-value metadata given (schema version,
//! settings hash), or the columns and the file's metadata. Signed integers only: Spark and
//! BigQuery have no unsigned ones.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::column::reader::ColumnReader;
use parquet::data_type::Int64Type;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// Rows in one row group: bounds the memory an engine needs to read a group.
const ROW_GROUP: usize = 1 << 20;

/// Writes the table `name` with the columns `names` at `path`, through a temporary file, with
/// `metadata` as the file's key-value metadata; `fill` gives its rows ([`Rows::push`]), which are
/// written a row group at a time.
pub fn write(
    path: &Path,
    name: &str,
    names: &[&str],
    metadata: &[(&str, &str)],
    fill: impl FnOnce(&mut Rows<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let fields: String = names
        .iter()
        .map(|column| format!("required int64 {column}; "))
        .collect();
    let schema =
        parse_message_type(&format!("message {name} {{ {fields}}}")).map_err(io::Error::other)?;
    let metadata = metadata
        .iter()
        .map(|&(k, v)| KeyValue::new(k.to_owned(), v.to_owned()))
        .collect();
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(metadata))
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .build();
    crate::output::atomic::write_atomically(path, |out| {
        let writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties))
            .map_err(io::Error::other)?;
        let mut rows = Rows {
            writer,
            columns: names
                .iter()
                .map(|_| Vec::with_capacity(ROW_GROUP))
                .collect(),
            groups: 0,
        };
        fill(&mut rows)?;
        if !rows.columns[0].is_empty() || rows.groups == 0 {
            rows.flush()?;
        }
        rows.writer.close().map_err(io::Error::other)?;
        Ok(())
    })
}

/// The rows of a table being written.
pub struct Rows<'a> {
    writer: SerializedFileWriter<&'a mut (dyn Write + Send)>,
    columns: Vec<Vec<i64>>,
    groups: usize,
}

impl Rows<'_> {
    /// Adds a row: a value for every column, in order.
    pub fn push(&mut self, row: &[i64]) -> io::Result<()> {
        assert_eq!(row.len(), self.columns.len(), "a value for every column");
        for (column, &value) in self.columns.iter_mut().zip(row) {
            column.push(value);
        }
        if self.columns[0].len() == ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the rows held as a row group.
    fn flush(&mut self) -> io::Result<()> {
        let mut group = self.writer.next_row_group().map_err(io::Error::other)?;
        let mut values = self.columns.iter_mut();
        while let Some(mut column) = group.next_column().map_err(io::Error::other)? {
            let values = values.next().expect("a column for every field");
            column
                .typed::<Int64Type>()
                .write_batch(values, None, None)
                .map_err(io::Error::other)?;
            column.close().map_err(io::Error::other)?;
            values.clear();
        }
        group.close().map_err(io::Error::other)?;
        self.groups += 1;
        Ok(())
    }
}

/// A table read back: the columns asked for, in that order, and the file's key-value metadata.
pub struct Read {
    /// The columns, in the order asked for.
    pub columns: Vec<Vec<i64>>,
    /// The file's key-value metadata.
    pub metadata: HashMap<String, String>,
}

/// Reads the columns `wanted` of the Parquet file at `path`; `Err` with a message naming the
/// file when it cannot be read, lacks a column, holds one of another type, or holds a null.
pub fn read(path: &Path, wanted: &[&str]) -> Result<Read, String> {
    let name = crate::walk::display_path(path);
    let failed = |e: &dyn std::fmt::Display| format!("{name}: {e}");
    let file = File::open(path).map_err(|e| failed(&e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| failed(&e))?;
    let meta = reader.metadata().file_metadata();
    let metadata = meta
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
        .collect();
    let fields = meta.schema_descr();
    let indexes: Vec<usize> = wanted
        .iter()
        .map(|column| {
            (0..fields.num_columns())
                .find(|&i| fields.column(i).name() == *column)
                .ok_or_else(|| format!("{name}: no column {column}"))
        })
        .collect::<Result<_, _>>()?;
    let rows = meta.num_rows().max(0) as usize;
    let mut columns: Vec<Vec<i64>> = wanted.iter().map(|_| Vec::with_capacity(rows)).collect();
    let mut levels = Vec::new();
    for group in 0..reader.num_row_groups() {
        let group = reader.get_row_group(group).map_err(|e| failed(&e))?;
        let rows = group.metadata().num_rows().max(0) as usize;
        for (&index, column) in indexes.iter().zip(&mut columns) {
            let reader = group.get_column_reader(index).map_err(|e| failed(&e))?;
            let before = column.len();
            levels.clear();
            let read = match reader {
                ColumnReader::Int64ColumnReader(mut r) => r
                    .read_records(rows, Some(&mut levels), None, column)
                    .map(|(records, _, _)| records),
                ColumnReader::Int32ColumnReader(mut r) => {
                    let mut narrow = Vec::with_capacity(rows);
                    let read = r.read_records(rows, Some(&mut levels), None, &mut narrow);
                    column.extend(narrow.into_iter().map(i64::from));
                    read.map(|(records, _, _)| records)
                }
                _ => {
                    let column = fields.column(index);
                    return Err(format!(
                        "{name}: {} is not an integer column",
                        column.name()
                    ));
                }
            };
            let records = read.map_err(|e| failed(&e))?;
            if records != rows || column.len() - before != rows {
                return Err(format!(
                    "{name}: a null or missing value in {}",
                    fields.column(index).name()
                ));
            }
        }
    }
    Ok(Read { columns, metadata })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_reads_back_as_written_across_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let n = ROW_GROUP + 3;
        let a: Vec<i64> = (0..n as i64).map(|i| i * 7 - 5).collect();
        let b: Vec<i64> = (0..n as i64).map(|i| i64::MIN + i).collect();
        write(&path, "t", &["a", "b"], &[("k", "v")], |rows| {
            a.iter().zip(&b).try_for_each(|(&a, &b)| rows.push(&[a, b]))
        })
        .unwrap();
        let read = read(&path, &["b", "a"]).unwrap();
        assert_eq!(read.columns, vec![b, a]);
        assert_eq!(read.metadata.get("k").map(String::as_str), Some("v"));
        let empty = dir.path().join("e.parquet");
        write(&empty, "e", &["a"], &[], |_| Ok(())).unwrap();
        assert_eq!(
            super::read(&empty, &["a"]).unwrap().columns,
            vec![Vec::<i64>::new()]
        );
        let missing = super::read(&path, &["c"]).err().unwrap();
        assert!(missing.contains("no column c"), "{missing}");
        let text = dir.path().join("s.parquet");
        let schema = parse_message_type("message s { required int64 a; required binary b; }");
        let mut writer = SerializedFileWriter::new(
            File::create(&text).unwrap(),
            Arc::new(schema.unwrap()),
            Arc::new(WriterProperties::builder().build()),
        )
        .unwrap();
        let mut group = writer.next_row_group().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<Int64Type>()
            .write_batch(&[1], None, None)
            .unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        let bytes = [parquet::data_type::ByteArray::from("x")];
        column
            .typed::<parquet::data_type::ByteArrayType>()
            .write_batch(&bytes, None, None)
            .unwrap();
        column.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
        let wrong = super::read(&text, &["a", "b"]).err().unwrap();
        assert!(wrong.contains("b is not an integer column"), "{wrong}");
    }
}
