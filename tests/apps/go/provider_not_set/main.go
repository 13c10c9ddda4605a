// The app builds an SDK provider with an exporter but never calls otel.SetTracerProvider:
// otel.Tracer hands out the global no-op tracer.
package main

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(sctx)
	}()
	tracer := otel.Tracer("provider-not-set")
	for i := 0; i < 3; i++ {
		_, span := tracer.Start(ctx, "work")
		span.End()
	}
	fmt.Println("provider-not-set: done")
}
