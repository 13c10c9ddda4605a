// otlptracegrpc dialling with TLS (what it does without WithInsecure) to a plaintext receiver.
package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/credentials"
)

func main() {
	ctx := context.Background()
	u, _ := url.Parse(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	exp, err := otlptracegrpc.New(ctx,
		otlptracegrpc.WithEndpoint(u.Host),
		otlptracegrpc.WithTimeout(time.Second),
		otlptracegrpc.WithTLSCredentials(credentials.NewClientTLSFromCert(nil, "")))
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(100*time.Millisecond)))
	otel.SetTracerProvider(tp)
	tracer := otel.Tracer("grpc-tls")
	for i := 0; i < 3; i++ {
		_, span := tracer.Start(ctx, "work")
		span.End()
	}
	time.Sleep(1500 * time.Millisecond) // a short job: long enough for one batch to be exported
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
	}
	fmt.Println("grpc-tls: done")
}
