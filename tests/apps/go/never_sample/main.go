// The provider is built with sdktrace.NeverSample(): every span is dropped at the root.
package main

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx)
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	otel.SetTracerProvider(tp)
	tracer := otel.Tracer("never")
	for i := 0; i < 3; i++ {
		_, span := tracer.Start(ctx, "work")
		span.End()
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = tp.Shutdown(sctx)
	fmt.Println("never: done")
}
