# The production image: cmd/grantflow only (no embedded Temporal server).

# govuk-frontend's script, and its styles compiled by Sass from http/web/styles, from npm by the
# Makefile's assets target (the full node image has make).
FROM node:20-bookworm AS assets
WORKDIR /src
COPY Makefile package.json package-lock.json ./
COPY http/web/assets http/web/assets
COPY http/web/styles http/web/styles
RUN make assets

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Over whatever the build context held: the pages embed exactly the locked govuk-frontend.
COPY --from=assets /src/http/web/assets http/web/assets
RUN CGO_ENABLED=0 go build -trimpath -o /out/grantflow ./cmd/grantflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/grantflow /grantflow
EXPOSE 8080
ENTRYPOINT ["/grantflow"]
CMD ["serve"]
