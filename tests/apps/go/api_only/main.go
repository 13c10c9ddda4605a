// The app links only the OpenTelemetry API (no SDK): every span comes from the global no-op provider.
package main

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
)

func main() {
	tracer := otel.Tracer("api-only")
	for i := 0; i < 3; i++ {
		_, span := tracer.Start(context.Background(), "work")
		span.End()
	}
	fmt.Println("api-only: done")
}
