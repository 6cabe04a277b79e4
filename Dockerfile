# lowrank in a container: the same jar the launcher builds, on a JRE.
#   docker build -t lowrank .
#   docker run --rm -v "$PWD:/work" lowrank compress --model /work/mlp.pt --out /work/mlp-r16.pt --rank 16
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY data data
COPY runtime runtime
COPY datasets datasets
COPY compressor compressor
COPY eval eval
COPY service-example service-example
COPY model-zoo-examples model-zoo-examples
COPY cli cli
COPY bench bench
COPY .build .build
RUN mvn -B -ntp -q -DskipTests -Dspotless.check.skip=true -Dcheckstyle.skip=true -pl cli -am install

FROM eclipse-temurin:17-jre
WORKDIR /opt/lowrank
COPY --from=build /src/cli/target/lowrank-cli.jar ./
COPY --from=build /src/cli/target/lib ./lib
# DJL extracts libtorch from the bundled jars once; keep that and the zoo cache in one volume.
ENV LOWRANK_CACHE=/var/cache/lowrank
RUN useradd --create-home lowrank && mkdir -p /var/cache/lowrank && chown lowrank /var/cache/lowrank
USER lowrank
WORKDIR /work
ENTRYPOINT ["java", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-jar", "/opt/lowrank/lowrank-cli.jar"]
CMD ["--help"]
