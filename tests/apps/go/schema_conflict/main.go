// resource.Merge of the SDK's default resource with one built on an older semconv schema fails
// (opentelemetry-go#4959); the app logs the error and carries on with tracing off.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.4.0"
)

func setup(ctx context.Context) (*sdktrace.TracerProvider, error) {
	res, err := resource.Merge(resource.Default(),
		resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceNameKey.String("schema-conflict")))
	if err != nil {
		return nil, err
	}
	exp, err := otlptracegrpc.New(ctx)
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp, nil
}

func main() {
	ctx := context.Background()
	tp, err := setup(ctx)
	if err != nil {
		log.Printf("tracing disabled: %v", err)
	}
	tracer := otel.Tracer("schema-conflict")
	for i := 0; i < 3; i++ {
		_, span := tracer.Start(ctx, "work")
		span.End()
	}
	if tp != nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(sctx)
	}
	fmt.Println("schema-conflict: done")
}
