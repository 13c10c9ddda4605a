// The only exporter is stdouttrace: spans are printed, never sent.
package main

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	ctx := context.Background()
	exp, err := stdouttrace.New()
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	otel.SetTracerProvider(tp)
	tracer := otel.Tracer("stdout")
	_, span := tracer.Start(ctx, "work")
	span.End()
	_ = tp.Shutdown(ctx)
}
