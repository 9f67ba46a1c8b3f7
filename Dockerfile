# syntax=docker/dockerfile:1
# One image for every role: `start` (API), `worker`, and the other CLI commands.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
RUN npm run build

FROM node:22-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production GAZETTE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY templates ./templates
COPY sample ./sample
# The code stays root-owned and read-only; only the default file outbox is writable.
RUN mkdir -p /app/outbox && chown node:node /app/outbox
USER node
EXPOSE 3000
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start"]
