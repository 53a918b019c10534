"""The audit archive: a versioned, object-locked S3 bucket the worker writes Parquet to under
``events/dt=YYYY-MM-DD/type=<event type>/``, and a Glue table over it so Athena queries it in place.

Partition projection computes the partitions from the key layout (no crawler, no MSCK REPAIR).
The columns mirror ``tradewind.application.audit.schema`` (the envelope, then the typed fields of
every event type, first occurrence first); ``infra/tests`` checks that they agree.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from tradewind_infra.data import removal
from tradewind_infra.parameters import Parameters

#: (name, Glue/Athena type). Columns are only ever appended, as in the archive's schema.
COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("event_id", "string"),
    ("event_type", "string"),
    ("occurred_at", "timestamp"),
    ("correlation_id", "string"),
    ("causation_id", "string"),
    ("account_id", "string"),
    ("schema_version", "bigint"),
    ("topic", "string"),
    ("partition", "bigint"),
    ("offset", "bigint"),
    ("kafka_ts", "timestamp"),
    ("payload", "binary"),
    ("order_id", "string"),
    ("symbol", "string"),
    ("client_order_id", "string"),
    ("side", "string"),
    ("qty", "bigint"),
    ("order_type", "string"),
    ("time_in_force", "string"),
    ("limit_price", "decimal(38,10)"),
    ("stop_price", "decimal(38,10)"),
    ("created_at", "timestamp"),
    ("broker_order_id", "string"),
    ("reconciliation", "boolean"),
    ("fill_id", "string"),
    ("fill_qty", "bigint"),
    ("fill_price", "decimal(38,10)"),
    ("cum_qty", "bigint"),
    ("avg_price", "decimal(38,10)"),
    ("leaves_qty", "bigint"),
    ("order_qty", "bigint"),
    ("after_cancel", "boolean"),
    ("reason", "string"),
    ("avg_entry_price", "decimal(38,10)"),
    ("cost_basis", "decimal(38,10)"),
    ("realized_pl", "decimal(38,10)"),
    ("cash_flow", "decimal(38,10)"),
    ("fills", "bigint"),
    ("version", "bigint"),
    ("bid", "decimal(38,10)"),
    ("ask", "decimal(38,10)"),
    ("last", "decimal(38,10)"),
    ("ts", "timestamp"),
)

#: the values of the ``type=`` partition that projection enumerates: every type the archive
#: writes today (the order events of the domain, positions, prices, dead letters, undecodable
#: records). A partition whose type is not listed is invisible to Athena: a new event type is
#: added here (tests fail for order events and typed columns the code gains; a new kind of
#: risk.events record must be added by hand). docs/deploy.md "Known gaps".
EVENT_TYPES: Final[tuple[str, ...]] = (
    "order.submitted",
    "order.cancel_requested",
    "order.amend_requested",
    "order.accepted",
    "order.filled",
    "order.canceled",
    "order.cancel_rejected",
    "order.replaced",
    "order.replace_rejected",
    "order.rejected",
    "order.expired",
    "order.unknown",
    "order.broker_unavailable",
    "position.updated",
    "market.price",
    "dead_letter",
    "undecodable",
)


class AuditArchive(Construct):
    def __init__(self, scope: Construct, id: str, *, params: Parameters) -> None:
        super().__init__(scope, id)
        retention = Duration.days(365 * params.audit_retention_years + params.audit_retention_years // 4)
        lock = (
            s3.ObjectLockRetention.compliance(retention)
            if params.audit_lock_mode == "COMPLIANCE"
            else s3.ObjectLockRetention.governance(retention)
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=params.audit_bucket,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=lock,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="tier-then-glacier",
                    prefix=params.audit_prefix,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INTELLIGENT_TIERING,
                            transition_after=Duration.days(params.audit_intelligent_tiering_days),
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(params.audit_glacier_days),
                        ),
                    ],
                ),
                s3.LifecycleRule(id="abort-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)),
            ],
            removal_policy=removal(params),
        )

        account = Stack.of(self).account
        database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=params.glue_database, description="Tradewind audit archive (Parquet on S3)"
            ),
        )
        location = f"s3://{self.bucket.bucket_name}/{params.audit_prefix}"
        self.table = glue.CfnTable(
            self,
            "Events",
            catalog_id=account,
            database_name=params.glue_database,
            table_input=glue.CfnTable.TableInputProperty(
                name=params.glue_table,
                description="Every audited event; one Parquet file holds one date and one type",
                table_type="EXTERNAL_TABLE",
                partition_keys=[
                    glue.CfnTable.ColumnProperty(name="dt", type="string"),
                    glue.CfnTable.ColumnProperty(name="type", type="string"),
                ],
                parameters={
                    "classification": "parquet",
                    "EXTERNAL": "TRUE",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"{params.audit_first_date},NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "projection.type.type": "enum",
                    "projection.type.values": ",".join(EVENT_TYPES),
                    "storage.location.template": location + "dt=${dt}/type=${type}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    ),
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in COLUMNS],
                ),
            ),
        )
        self.table.node.add_dependency(database)
