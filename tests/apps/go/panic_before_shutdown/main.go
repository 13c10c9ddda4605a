// The app panics after its spans ended and before tp.Shutdown: the batch is lost with the process.
package main

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func handle(orders []string) string {
	return orders[len(orders)] // index out of range
}

func main() {
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	otel.SetTracerProvider(tp)
	tracer := otel.Tracer("orders")
	_, span := tracer.Start(ctx, "work")
	span.End()
	fmt.Fprintln(os.Stdout, handle([]string{"a"}))
	_ = tp.Shutdown(ctx)
}
