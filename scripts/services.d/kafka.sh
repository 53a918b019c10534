# shellcheck shell=bash disable=SC2034  # settings read by scripts/services
# Apache Kafka 3.9.1, single-node KRaft (broker + controller), jars from Maven Central.

KAFKA_VERSION=3.9.1
SLF4J_VERSION=1.7.36                        # the slf4j and reload4j versions that Kafka 3.9.1's
RELOAD4J_VERSION=1.2.25                     # own distribution ships (slf4j-reload4j alone pulls 1.2.19)
KAFKA_PORT=${TRADEWIND_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${TRADEWIND_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_DIR=$LOCAL/kafka
KAFKA_PID=$KAFKA_DIR/kafka.pid
KAFKA_OUT=$KAFKA_DIR/logs/kafka.out         # JVM stdout/stderr (crashes before log4j is up)
KAFKA_LOG=$KAFKA_DIR/logs/server.log        # log4j
kafka_deadline=120

kafka_port()  { echo "$KAFKA_PORT"; }
kafka_ports() { echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT"; }
kafka_needs() { echo "java:openjdk-17-jre-headless mvn:maven $(python_bin || echo python3):python3"; }
kafka_logs()  { echo "$KAFKA_LOG $KAFKA_OUT"; }

kafka_java() { "${JAVA_HOME:+$JAVA_HOME/bin/}java" "$@"; }

kafka_pid() { pid_from "$KAFKA_PID" kafka.Kafka; }
kafka_alive() { kafka_pid >/dev/null; }

# A real Metadata request; succeeds once the broker lists itself (i.e. it is unfenced).
kafka_ready() {
  "$(python_bin)" "$SERVICES_D/kafka_probe.py" "$HOST" "$KAFKA_PORT" 2>/dev/null
}

kafka_write_pom() {
  cat >"$KAFKA_DIR/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/services: only used to fetch the Kafka broker's jars into libs/. -->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tradewind</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>ch.qos.reload4j</groupId>
        <artifactId>reload4j</artifactId>
        <version>$RELOAD4J_VERSION</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>3.6.1</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
EOF
}

kafka_write_properties() {                  # kafka_write_properties FILE LOG_DIR
  cat >"$1" <<EOF
# Written by scripts/services on each start; edits are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$2
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
}

kafka_write_log4j() {
  cat >"$KAFKA_DIR/log4j.properties" <<EOF
# Written by scripts/services.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KAFKA_LOG
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  # For the one-shot StorageTool runs: warnings to stderr only.
  cat >"$KAFKA_DIR/tools-log4j.properties" <<EOF
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

kafka_tool() {
  kafka_java -Xmx256m -cp "$KAFKA_DIR/libs/*" \
    -Dlog4j.configuration="file:$KAFKA_DIR/tools-log4j.properties" kafka.tools.StorageTool "$@"
}

kafka_prepare() {
  local sum cluster_id
  mkdir -p "$KAFKA_DIR/logs"
  kafka_write_pom
  # Jars: copied once (they also stay in ~/.m2); fetched again only when the pom changes.
  sum=$(sha256sum <"$KAFKA_DIR/pom.xml")
  if [[ $(cat "$KAFKA_DIR/libs/.pom.sha256" 2>/dev/null) != "$sum" ]]; then
    say "kafka: fetching kafka_2.13:$KAFKA_VERSION jars with Maven (log: $KAFKA_DIR/logs/mvn.log)"
    rm -rf "$KAFKA_DIR/libs.tmp"
    if ! (cd "$KAFKA_DIR" && mvn -B -q -f pom.xml dependency:copy-dependencies \
          -DincludeScope=runtime -DoutputDirectory="$KAFKA_DIR/libs.tmp") >"$KAFKA_DIR/logs/mvn.log" 2>&1; then
      echo "mvn dependency:copy-dependencies failed"; tail_logs "$KAFKA_DIR/logs/mvn.log"; return 1
    fi
    echo "$sum" >"$KAFKA_DIR/libs.tmp/.pom.sha256"
    rm -rf "$KAFKA_DIR/libs" && mv "$KAFKA_DIR/libs.tmp" "$KAFKA_DIR/libs"
  fi
  kafka_write_log4j
  kafka_write_properties "$KAFKA_DIR/server.properties" "$KAFKA_DIR/data"
  # Storage: formatted once, into a temp dir so that an interrupted format is redone.
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    say "kafka: formatting KRaft storage $KAFKA_DIR/data"
    if [[ ! -s $KAFKA_DIR/cluster-id ]]; then
      if ! kafka_tool random-uuid >"$KAFKA_DIR/cluster-id.tmp" 2>"$KAFKA_DIR/logs/storage-tool.log"; then
        echo "StorageTool random-uuid failed"; tail_logs "$KAFKA_DIR/logs/storage-tool.log"; return 1
      fi
      mv "$KAFKA_DIR/cluster-id.tmp" "$KAFKA_DIR/cluster-id"
    fi
    read -r cluster_id <"$KAFKA_DIR/cluster-id"
    rm -rf "$KAFKA_DIR/data" "$KAFKA_DIR/data.tmp"
    kafka_write_properties "$KAFKA_DIR/format.properties" "$KAFKA_DIR/data.tmp"
    kafka_tool format -t "$cluster_id" -c "$KAFKA_DIR/format.properties" \
        >"$KAFKA_DIR/logs/storage-tool.log" 2>&1 \
      || { echo "StorageTool format failed"; tail_logs "$KAFKA_DIR/logs/storage-tool.log"; return 1; }
    mv "$KAFKA_DIR/data.tmp" "$KAFKA_DIR/data" && rm -f "$KAFKA_DIR/format.properties"
  fi
}

# The heap is fixed and touched at start (-Xms = -Xmx, AlwaysPreTouch): its RSS is then flat from
# the first minute instead of climbing to -Xmx over an hour of load, which a soak would read as a leak.
kafka_start() {
  launch "$KAFKA_PID" "$KAFKA_OUT" "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx512m -Xms512m -XX:+AlwaysPreTouch \
    -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$KAFKA_DIR/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties"
}

kafka_stop() { term_then_kill "$KAFKA_PID" "$1" kafka.Kafka 60; }
