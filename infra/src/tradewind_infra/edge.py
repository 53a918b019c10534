"""The way in (article "Web Tier"): WAF in front of an external ALB (TLS 1.3 policy, HTTP/2, an
idle timeout above the SSE heartbeat), and CloudFront for the static assets.

Two target groups hold the same web tasks: ``/api/v1/stream`` goes to one with duration-based
stickiness (an SSE connection, and its reconnects, stay on the task that holds its Redis
subscription), everything else to one without, so ordinary API requests are spread round robin.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from tradewind_infra.network import Network
from tradewind_infra.parameters import Parameters
from tradewind_infra.services import CONTAINER

STREAM_RULE_PRIORITY = 10


class Edge(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        params: Parameters,
        network: Network,
        web: ecs.FargateService,
        web_security_group: ec2.SecurityGroup,
    ) -> None:
        super().__init__(scope, id)
        params.require_edge()
        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=network.vpc,
            vpc_subnets=network.public,
            internet_facing=True,
            http2_enabled=True,
            idle_timeout=Duration.seconds(params.alb_idle_timeout_seconds),
            drop_invalid_header_fields=True,
        )
        web_security_group.add_ingress_rule(
            self.alb.connections.security_groups[0], ec2.Port.tcp(params.web_port), "web from the ALB"
        )

        def target_group(name: str, sticky: bool) -> elbv2.ApplicationTargetGroup:
            group = elbv2.ApplicationTargetGroup(
                self,
                name,
                vpc=network.vpc,
                port=params.web_port,
                protocol=elbv2.ApplicationProtocol.HTTP,
                target_type=elbv2.TargetType.IP,
                health_check=elbv2.HealthCheck(
                    path="/healthz", healthy_http_codes="200", interval=Duration.seconds(15)
                ),
                deregistration_delay=Duration.seconds(30),
                stickiness_cookie_duration=Duration.seconds(params.stream_stickiness_seconds) if sticky else None,
            )
            group.add_target(web.load_balancer_target(container_name=CONTAINER, container_port=params.web_port))
            return group

        self.api_targets = target_group("ApiTargets", sticky=False)
        self.stream_targets = target_group("StreamTargets", sticky=True)

        self.https = self.alb.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            ssl_policy=getattr(elbv2.SslPolicy, params.alb_ssl_policy),
            certificates=[elbv2.ListenerCertificate.from_arn(params.certificate_arn)],
            default_target_groups=[self.api_targets],
        )
        self.https.add_target_groups(
            "Stream",
            priority=STREAM_RULE_PRIORITY,
            conditions=[elbv2.ListenerCondition.path_patterns([params.stream_path, f"{params.stream_path}/*"])],
            target_groups=[self.stream_targets],
        )
        self.alb.add_redirect(source_port=80, target_port=443)

        self.web_acl = self._web_acl(params)
        wafv2.CfnWebACLAssociation(
            self, "WafOnAlb", resource_arn=self.alb.load_balancer_arn, web_acl_arn=self.web_acl.attr_arn
        )

        origin = origins.HttpOrigin(params.domain_name, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY)
        own_name: dict[str, object] = {}
        if params.cdn_domain_name and params.cdn_certificate_arn:
            own_name = {
                "domain_names": [params.cdn_domain_name],
                "certificate": acm.Certificate.from_certificate_arn(self, "CdnCertificate", params.cdn_certificate_arn),
                "minimum_protocol_version": cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            }
        self.cdn = cloudfront.Distribution(
            self,
            "Cdn",
            comment="Tradewind static assets (the ALB is the origin; nothing else is cached)",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER,
            ),
            additional_behaviors={
                params.static_path: cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                    compress=True,
                )
            },
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            **own_name,  # type: ignore[arg-type]
        )

    def _web_acl(self, params: Parameters) -> wafv2.CfnWebACL:
        def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                visibility_config=_visibility(name),
            )

        rate = wafv2.CfnWebACL.RuleProperty(
            name="RatePerIp",
            priority=0,
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=params.waf_rate_limit_per_ip, aggregate_key_type="IP"
                )
            ),
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            visibility_config=_visibility("RatePerIp"),
        )
        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=[
                rate,
                managed("AWSManagedRulesCommonRuleSet", 1),
                managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
                managed("AWSManagedRulesAmazonIpReputationList", 3),
            ],
            visibility_config=_visibility("tradewind-web"),
        )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )
