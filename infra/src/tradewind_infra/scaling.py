"""Web autoscaling (article "Autoscaling policy"): between ``web_min_tasks`` and ``web_max_tasks``;
out when average CPU > 60 % OR active connections per task > 3,000; in only when both have been
below their thresholds for 5 consecutive minutes.

CloudWatch composite alarms cannot trigger scaling actions (only notifications), so the policy is
built from metric alarms, and the composite alarm states the same rule for people:

- ``CpuHigh`` and ``ConnectionsHigh``: each triggers the scale-out step policy; either is enough (OR).
- ``BothLow``: one alarm on the metric-math expression ``IF(cpu < 60 AND conns/tasks < 3000, 1, 0)``,
  in alarm after ``scale_in_minutes`` consecutive one-minute datapoints of 1: triggers the scale-in
  step policy. Missing data is not breaching, so a gap in metrics never shrinks the fleet.
- ``UnderLoad``: composite ``ALARM(CpuHigh) OR ALARM(ConnectionsHigh)``, notifying the SNS topic.

Connections per task is the ALB's ``ActiveConnectionCount`` (sum per minute) divided by the
service's running tasks (Container Insights ``RunningTaskCount``).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from tradewind_infra.parameters import Parameters

MINUTE = Duration.minutes(1)


class WebScaling(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        params: Parameters,
        cluster: ecs.ICluster,
        service: ecs.FargateService,
        alb: elbv2.ApplicationLoadBalancer,
    ) -> None:
        super().__init__(scope, id)
        dims = {"ClusterName": cluster.cluster_name, "ServiceName": service.service_name}
        cpu = cloudwatch.Metric(
            namespace="AWS/ECS", metric_name="CPUUtilization", dimensions_map=dims, statistic="Average", period=MINUTE
        )
        tasks = cloudwatch.Metric(
            namespace="ECS/ContainerInsights",
            metric_name="RunningTaskCount",
            dimensions_map=dims,
            statistic="Average",
            period=MINUTE,
        )
        conns = alb.metrics.active_connection_count(statistic="Sum", period=MINUTE)
        per_task = cloudwatch.MathExpression(
            expression="conns / tasks",
            using_metrics={"conns": conns, "tasks": tasks},
            label="Active connections per web task",
            period=MINUTE,
        )
        cpu_limit, conn_limit = params.scale_out_cpu_percent, params.scale_out_connections_per_task
        both_low = cloudwatch.MathExpression(
            expression=f"IF(cpu < {cpu_limit:g} AND (conns / tasks) < {conn_limit:g}, 1, 0)",
            using_metrics={"cpu": cpu, "conns": conns, "tasks": tasks},
            label="CPU and connections per task both below the scale-out thresholds",
            period=MINUTE,
        )

        self.target = appscaling.ScalableTarget(
            self,
            "Target",
            service_namespace=appscaling.ServiceNamespace.ECS,
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster.cluster_name}/{service.service_name}",
            min_capacity=params.web_min_tasks,
            max_capacity=params.web_max_tasks,
        )
        self.scale_out = appscaling.StepScalingAction(
            self,
            "ScaleOut",
            scaling_target=self.target,
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.seconds(params.scale_out_cooldown_seconds),
            metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        )
        self.scale_out.add_adjustment(adjustment=params.scale_out_step_tasks, lower_bound=0)
        self.scale_in = appscaling.StepScalingAction(
            self,
            "ScaleIn",
            scaling_target=self.target,
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.seconds(params.scale_in_cooldown_seconds),
            metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        )
        self.scale_in.add_adjustment(adjustment=-params.scale_in_step_tasks, lower_bound=0)

        above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        self.cpu_high = cloudwatch.Alarm(
            self,
            "CpuHigh",
            alarm_description=f"web CPU above {cpu_limit:g} %: scale out",
            metric=cpu,
            threshold=cpu_limit,
            comparison_operator=above,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.connections_high = cloudwatch.Alarm(
            self,
            "ConnectionsHigh",
            alarm_description=f"web active connections per task above {conn_limit:g}: scale out",
            metric=per_task,
            threshold=conn_limit,
            comparison_operator=above,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.both_low = cloudwatch.Alarm(
            self,
            "BothLow",
            alarm_description=f"web CPU and connections per task both below for {params.scale_in_minutes} minutes: scale in",
            metric=both_low,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=params.scale_in_minutes,
            datapoints_to_alarm=params.scale_in_minutes,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for alarm in (self.cpu_high, self.connections_high):
            alarm.add_alarm_action(actions.ApplicationScalingAction(self.scale_out))
        self.both_low.add_alarm_action(actions.ApplicationScalingAction(self.scale_in))

        self.notifications = sns.Topic(self, "Notifications", display_name="Tradewind web scaling")
        self.under_load = cloudwatch.CompositeAlarm(
            self,
            "UnderLoad",
            alarm_description="web scale-out condition: CPU high OR connections per task high",
            alarm_rule=cloudwatch.AlarmRule.any_of(
                cloudwatch.AlarmRule.from_alarm(self.cpu_high, cloudwatch.AlarmState.ALARM),
                cloudwatch.AlarmRule.from_alarm(self.connections_high, cloudwatch.AlarmState.ALARM),
            ),
        )
        self.under_load.add_alarm_action(actions.SnsAction(self.notifications))
