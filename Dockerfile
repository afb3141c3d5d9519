# tickguard: every process (supervisor, collector, writer, recovery-worker, broker-emulator) from one
# image; the command picks which (see docker-compose.yml). TypeScript runs through tsx, as with npx.
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY machines ./machines
COPY ports ./ports
COPY actors ./actors
COPY runtime ./runtime
COPY sim ./sim
COPY scenarios ./scenarios
COPY examples ./examples

# Collector spools, the supervisor's outbox and broker token caches survive container restarts here.
RUN mkdir -p /var/lib/tickguard && chown node:node /var/lib/tickguard
ENV TG_SPOOL_DIR=/var/lib/tickguard
VOLUME /var/lib/tickguard

USER node
ENTRYPOINT ["node", "bin/tickguard.js"]
CMD ["--help"]
