// The app defers tp.Shutdown but leaves through os.Exit: deferred calls do not run, the batch is lost.
package main

import (
	"context"
	"fmt"
	"os"

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
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	defer func() { _ = tp.Shutdown(ctx) }()
	otel.SetTracerProvider(tp)
	tracer := otel.Tracer("exit-early")
	for i := 0; i < 3; i++ {
		_, span := tracer.Start(ctx, "work")
		span.End()
	}
	fmt.Println("exit-early: done")
	os.Exit(0)
}
