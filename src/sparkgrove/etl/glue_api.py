"""AWS Glue's documented PySpark API, name by name, and what sparkgrove does with each.

``DOCUMENTED`` is written from the AWS Glue developer guide's PySpark reference (the
"DynamicFrame class", "DynamicFrameCollection class", "DynamicFrameReader/Writer class",
"GlueContext class", "Job", "getResolvedOptions" pages and each transform's "... class" page).
Each entry gives the documented parameters, in order and with their defaults, and a status:
``ok`` (offered with that signature) or the reason it is not offered locally. A test walks this
table against the code, and the README's table is printed from it
(``python -m sparkgrove.etl.glue_api``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import NoReturn

from sparkgrove.errors import NotOfferedError

OK = "ok"
_T = "transformation_ctx='', info='', stageThreshold=0, totalThreshold=0"
NO_JDBC = "JDBC and Redshift sinks reach external services; write to files or the catalog"
NO_ML = "ML transforms (FindMatches and friends) run on AWS's service only"
NO_LF = "Lake Formation governed-table transactions have no local counterpart"
NO_STREAM = "streaming sources (Kinesis, Kafka) are not offered"
NO_S3_CLASS = "S3 storage classes have no meaning on a local folder"
NO_DDB = "DynamoDB export JSON has no source here"


@dataclass(frozen=True)
class Api:
    """One documented callable: where it lives, its parameters, and its status here."""

    module: str
    qualname: str
    params: str
    status: str = OK

    @property
    def name(self) -> str:
        """``Class.method`` as the docs name it."""
        return self.qualname


def _m(module: str, owner: str, methods: dict[str, str], status: dict[str, str] | None = None
       ) -> list[Api]:
    notes = status or {}
    return [Api(module, f"{owner}.{name}" if owner else name, params, notes.get(name, OK))
            for name, params in methods.items()]


_TRANSFORMS: dict[str, str] = {
    "ApplyMapping": f"frame, mappings, {_T}",
    "DropFields": f"frame, paths, {_T}",
    "DropNullFields": f"frame, {_T}",
    "ErrorsAsDynamicFrame": "frame",
    "Filter": f"frame, f, {_T}",
    "FlatMap": "dfc, BaseTransform, frame_name, transformation_ctx='', **base_kwargs",
    "Join": "frame1, frame2, keys1, keys2, transformation_ctx=''",
    "Map": f"frame, f, {_T}",
    "MapToCollection": "dfc, callable, transformation_ctx=''",
    "Relationalize": "frame, staging_path=None, name='roottable', options=None, "
                     f"{_T}",
    "RenameField": f"frame, old_name, new_name, {_T}",
    "ResolveChoice": "frame, specs=None, choice='', database=None, table_name=None, "
                     f"{_T}, catalog_id=None",
    "SelectFields": f"frame, paths, {_T}",
    "SelectFromCollection": "dfc, key, transformation_ctx=''",
    "Spigot": "frame, path, options, transformation_ctx=''",
    "SplitFields": f"frame, paths, name1=None, name2=None, {_T}",
    "SplitRows": "frame, comparison_dict, name1, name2, transformation_ctx='', info=None, "
                 "stageThreshold=0, totalThreshold=0",
    "Unbox": f"frame, path, format, {_T}, **options",
    "UnnestFrame": f"frame, {_T}",
}
_ML_TRANSFORMS: dict[str, str] = {
    "FindMatches": "frame, transformId, transformation_ctx='', "
                   "computeMatchConfidenceScores=0",
    "FindIncrementalMatches": "existingFrame, incrementalFrame, transformId, "
                              "transformation_ctx='', computeMatchConfidenceScores=0",
    "FillMissingValues": "frame, missing_values_column, output_column='', "
                         "transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
}
_GLUE_TRANSFORM = {"apply": "*args, **kwargs", "name": "", "describeArgs": "",
                   "describeReturn": "", "describeTransform": "", "describeErrors": "",
                   "describe": ""}

DOCUMENTED: tuple[Api, ...] = tuple(
    _m("awsglue.dynamicframe", "DynamicFrame", {
        "__init__": "jdf, glue_ctx, name",
        "fromDF": "dataframe, glue_ctx, name",
        "toDF": "options=None",
        "count": "", "schema": "", "printSchema": "", "show": "num_rows=20",
        "repartition": "numPartitions", "coalesce": "numPartitions",
        "getNumPartitions": "",
        "apply_mapping": f"mappings, {_T}",
        "drop_fields": f"paths, {_T}",
        "filter": f"f, {_T}",
        "join": f"paths1, paths2, frame2, {_T}",
        "map": f"f, {_T}",
        "mergeDynamicFrame": "stage_dynamic_frame, primary_keys, transformation_ctx='', "
                             "options={}, info='', stageThreshold=0, totalThreshold=0",
        "relationalize": f"root_table_name, staging_path, options={{}}, {_T}",
        "rename_field": f"oldName, newName, {_T}",
        "resolveChoice": "specs=None, choice='', database=None, table_name=None, "
                         f"{_T}, catalog_id=None",
        "select_fields": f"paths, {_T}",
        "simplify_ddb_json": "",
        "spigot": f"path, options={{}}, {_T}",
        "split_fields": f"paths, name1, name2, {_T}",
        "split_rows": f"comparison_dict, name1, name2, {_T}",
        "unbox": f"path, format, {_T}, **options",
        "unnest": _T,
        "unnest_ddb_json": _T,
        "write": "connection_type, connection_options={}, format=None, "
                 "format_options={}, accumulator_size=0",
        "errorsAsDynamicFrame": "", "errorsCount": "", "stageErrorsCount": "",
        "assertErrorThreshold": "",
    }, {"simplify_ddb_json": NO_DDB, "unnest_ddb_json": NO_DDB})
    + _m("awsglue.dynamicframe", "DynamicFrameCollection", {
        "__init__": "dynamic_frames, glue_ctx", "keys": "", "values": "",
        "select": "key, transformation_ctx=''", "map": "callable, transformation_ctx=''",
        "flatmap": "f, transformation_ctx=''"})
    + _m("awsglue.dynamicframe", "DynamicFrameReader", {
        "from_rdd": "data, name, schema=None, sampleRatio=None",
        "from_options": "connection_type, connection_options={}, format=None, "
                        "format_options={}, transformation_ctx=''",
        "from_catalog": "database=None, table_name=None, redshift_tmp_dir='', "
                        "transformation_ctx='', push_down_predicate='', "
                        "additional_options={}, catalog_id=None"})
    + _m("awsglue.dynamicframe", "DynamicFrameWriter", {
        "from_options": "frame, connection_type, connection_options={}, format=None, "
                        "format_options={}, transformation_ctx=''",
        "from_catalog": "frame, database=None, table_name=None, redshift_tmp_dir='', "
                        "transformation_ctx='', additional_options={}, catalog_id=None",
        "from_jdbc_conf": "frame, catalog_connection, connection_options={}, "
                          "redshift_tmp_dir='', transformation_ctx='', catalog_id=None"},
        {"from_jdbc_conf": NO_JDBC})
    + _m("awsglue.context", "GlueContext", {
        "__init__": "sparkContext",
        "create_dynamic_frame_from_rdd": "data, name, schema=None, sample_ratio=None, "
                                         "transformation_ctx=''",
        "create_dynamic_frame_from_catalog": "database, table_name, redshift_tmp_dir='', "
                                             "transformation_ctx='', push_down_predicate='', "
                                             "additional_options={}, catalog_id=None",
        "create_dynamic_frame_from_options": "connection_type, connection_options={}, "
                                             "format=None, format_options={}, "
                                             "transformation_ctx=''",
        "create_sample_dynamic_frame_from_catalog":
            "database, table_name, num, redshift_tmp_dir='', transformation_ctx='', "
            "push_down_predicate='', additional_options={}, sample_options={}, "
            "catalog_id=None",
        "create_sample_dynamic_frame_from_options":
            "connection_type, connection_options={}, num=None, sample_options={}, "
            "format=None, format_options={}, transformation_ctx=''",
        "add_ingestion_time_columns": "dataFrame, timeGranularity=''",
        "create_data_frame_from_catalog": "database, table_name, transformation_ctx='', "
                                          "additional_options={}",
        "create_data_frame_from_options": "connection_type, connection_options={}, "
                                          "format=None, format_options={}, "
                                          "transformation_ctx=''",
        "forEachBatch": "frame, batch_function, options={}",
        "getSource": "connection_type, transformation_ctx='', **options",
        "getSink": "connection_type, format=None, transformation_ctx='', **options",
        "write_dynamic_frame_from_options": "frame, connection_type, connection_options={}, "
                                            "format=None, format_options={}, "
                                            "transformation_ctx=''",
        "write_from_options": "frame_or_dfc, connection_type, connection_options={}, "
                              "format=None, format_options={}, transformation_ctx=''",
        "write_dynamic_frame_from_catalog": "frame, database, table_name, "
                                            "redshift_tmp_dir='', transformation_ctx='', "
                                            "additional_options={}, catalog_id=None",
        "write_data_frame_from_catalog": "frame, database, table_name, redshift_tmp_dir='', "
                                         "transformation_ctx='', additional_options={}, "
                                         "catalog_id=None",
        "write_dynamic_frame_from_jdbc_conf": "frame, catalog_connection, "
                                              "connection_options={}, redshift_tmp_dir='', "
                                              "transformation_ctx='', catalog_id=None",
        "write_from_jdbc_conf": "frame_or_dfc, catalog_connection, connection_options={}, "
                                "redshift_tmp_dir='', transformation_ctx='', catalog_id=None",
        "extract_jdbc_conf": "connection_name, catalog_id=None",
        "purge_table": "database, table_name, options={}, transformation_ctx='', "
                       "catalog_id=None",
        "purge_s3_path": "s3_path, options={}, transformation_ctx=''",
        "transition_table": "database, table_name, transition_to, options={}, "
                            "transformation_ctx='', catalog_id=None",
        "transition_s3_path": "s3_path, transition_to, options={}, transformation_ctx=''",
        "get_logger": "",
        "begin_transaction": "read_only",
        "commit_transaction": "transaction_id, wait_for_commit=True",
        "cancel_transaction": "transaction_id",
    }, {"forEachBatch": NO_STREAM, "write_dynamic_frame_from_jdbc_conf": NO_JDBC,
        "write_from_jdbc_conf": NO_JDBC, "extract_jdbc_conf": NO_JDBC,
        "transition_table": NO_S3_CLASS, "transition_s3_path": NO_S3_CLASS,
        "begin_transaction": NO_LF, "commit_transaction": NO_LF, "cancel_transaction": NO_LF})
    + _m("awsglue.data_sink", "DataSink", {
        "setFormat": "format, **options",
        "setCatalogInfo": "catalogDatabase, catalogTableName, catalogId=None",
        "writeFrame": "dynamic_frame, info=''",
        "write": "dynamic_frame_or_dfc, info=''"})
    + _m("awsglue.data_source", "DataSource", {
        "setFormat": "format, **options", "getFrame": "**options"})
    + _m("awsglue.job", "Job", {
        "__init__": "glue_context", "init": "job_name, args=None", "commit": "",
        "isInitialized": ""})
    + _m("awsglue.utils", "", {"getResolvedOptions": "args, options"})
    + [Api("awsglue.transforms", f"{name}.__call__", params)
       for name, params in _TRANSFORMS.items()]
    + _m("awsglue.transforms", "GlueTransform", _GLUE_TRANSFORM)
    + [Api("awsglueml.transforms", f"{name}.__call__", params, NO_ML)
       for name, params in _ML_TRANSFORMS.items()]
)


def status_of(name: str) -> str:
    """The status of a documented API (``OK`` or the reason it is not offered)."""
    for api in DOCUMENTED:
        if api.qualname == name:
            return api.status
    raise KeyError(name)


def refuse(name: str) -> NoReturn:
    """Raise the clear error for a documented API that is not offered locally."""
    raise NotOfferedError(f"{name} is part of AWS Glue's API but not offered by sparkgrove: "
                          f"{status_of(name)}. See the README's 'Coming from AWS Glue' table.")


def markdown_table() -> str:
    """The README's table of every documented API and its status."""
    lines = ["| module | API | status |", "|---|---|---|"]
    for api in DOCUMENTED:
        status = "runs as documented" if api.status == OK else f"not offered: {api.status}"
        lines.append(f"| `{api.module}` | `{api.qualname}({api.params})` | {status} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a helper for keeping the README current
    sys.stdout.write(markdown_table() + "\n")
