# The production image: cmd/grantflow only (no embedded Temporal server).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/grantflow ./cmd/grantflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/grantflow /grantflow
EXPOSE 8080
ENTRYPOINT ["/grantflow"]
CMD ["serve"]
