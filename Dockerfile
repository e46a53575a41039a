FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
ENV NODE_ENV=production
# The bridge registers its search attributes on start; TEMPORAL_ADDRESS points at the compose service.
CMD ["node", "--import", "tsx", "scripts/start.ts"]
