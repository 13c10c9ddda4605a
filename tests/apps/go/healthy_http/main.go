// A healthy app: OTLP/HTTP exporter from the environment, provider set, shut down before exit.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "exporter:", err)
		os.Exit(1)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	otel.SetTracerProvider(tp)
	n, _ := strconv.Atoi(os.Getenv("SPANS"))
	if n <= 0 {
		n = 3
	}
	tracer := otel.Tracer("healthy-http")
	start := time.Now()
	for i := 0; i < n; i++ {
		_, span := tracer.Start(ctx, "work")
		span.End()
	}
	if os.Getenv("REPORT_NS") != "" {
		fmt.Fprintf(os.Stderr, "loop_ns=%d\n", time.Since(start).Nanoseconds())
	}
	fmt.Printf("started %d spans\n", n)
	fmt.Fprintln(os.Stderr, "healthy-http: done")
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
	}
}
