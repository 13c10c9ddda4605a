/*
 * otdiag's observer for Java apps: a plain java.lang.instrument agent, loaded by `otdiag run` with
 * -javaagent:<this jar>=<private report directory>, inserted right after `java` on the command line.
 *
 * It changes no class (it registers no ClassFileTransformer), writes nothing on stdout or stderr and
 * catches every Throwable of its own. It does two things:
 *   1. premain writes <dir>/java-<pid>.start (the JVM started with the observer);
 *   2. a shutdown hook reads, by reflection and without calling any OpenTelemetry method that could
 *      change state, what the app's OpenTelemetry looks like as the JVM shuts down, and writes
 *      <dir>/java-<pid>.json: the GlobalOpenTelemetry instances (the app's and the agent's shaded
 *      one), the tracer provider's sampler, processors, exporters and queued spans, whether it was
 *      shut down, how the JVM is exiting (System.exit and its caller, a signal, or main returning),
 *      the otel.* system properties in force, the OpenTelemetry jars loaded and the no-op API
 *      classes loaded (a span started on the no-op tracer loads DefaultTracer$NoopSpanBuilder).
 * Runtime.halt and kill -9 run no shutdown hook: the missing .json says so.
 *
 * Built by otdiag from this source with javac on first use (never shipped as a jar).
 */
package otdiag.observer;

import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

public final class OtdiagObserver {
  private static final int MAX_TEXT = 4000;
  private static final long WAIT_FOR_FLUSH_MS = 1500;
  private static volatile Instrumentation instrumentation;
  private static volatile File dir;
  private static final List<Object> QUEUED_PROCESSORS = new ArrayList<>();

  private OtdiagObserver() {}

  public static void premain(String args, Instrumentation inst) {
    try {
      if (args == null || args.isEmpty()) {
        return;
      }
      dir = new File(args);
      instrumentation = inst;
      new File(dir, "java-" + pid() + ".start").createNewFile(); // the JVM started with the observer
      // An anonymous class, not a lambda: a lambda would bootstrap invokedynamic in every app's start-up.
      Thread hook = new Thread(new Runnable() {
        @Override
        public void run() {
          atExit();
        }
      }, "otdiag-observer");
      hook.setDaemon(true);
      Runtime.getRuntime().addShutdownHook(hook);
    } catch (Throwable ignored) {
      // never the app's problem
    }
  }

  public static void agentmain(String args, Instrumentation inst) {
    premain(args, inst);
  }

  private static void atExit() {
    long began = System.nanoTime();
    StringBuilder out = new StringBuilder(8192);
    try {
      out.append("{\"version\":1,\"java\":").append(q(System.getProperty("java.version")));
      out.append(",\"exit\":").append(exitInfo());
      Class<?>[] loaded = instrumentation.getAllLoadedClasses();
      List<Object> providers = new ArrayList<>();
      out.append(",\"globals\":[");
      boolean first = true;
      for (Class<?> c : loaded) {
        String n = c.getName();
        if (n.endsWith("io.opentelemetry.api.GlobalOpenTelemetry")) {
          out.append(first ? "" : ",").append(global(c, providers));
          first = false;
        }
      }
      out.append("],\"providers\":[");
      for (int i = 0; i < providers.size(); i++) {
        out.append(i == 0 ? "" : ",").append(provider(providers.get(i)));
      }
      out.append("],\"classes\":[");
      Set<String> jars = new LinkedHashSet<>();
      first = true;
      for (Class<?> c : loaded) {
        String n = c.getName();
        if (!n.startsWith("io.opentelemetry.")) {
          continue;
        }
        jar(c, jars);
        if (interesting(n)) {
          out.append(first ? "" : ",").append(q(n));
          first = false;
        }
      }
      out.append("],\"jars\":[");
      first = true;
      int count = 0;
      for (String j : jars) {
        if (count++ >= 80) {
          break;
        }
        out.append(first ? "" : ",").append(q(j));
        first = false;
      }
      out.append("],\"muzzle_failures\":").append(muzzleFailures(loaded));
      out.append(",\"properties\":{");
      first = true;
      Properties props = System.getProperties();
      for (String key : props.stringPropertyNames()) {
        if (key.startsWith("otel.")) {
          String value = secret(key) ? "<redacted>" : props.getProperty(key);
          out.append(first ? "" : ",").append(q(key)).append(':').append(q(value));
          first = false;
        }
      }
      // The batch processors' queues once more: spans that left them while this hook ran were exported
      // only because the hook kept the JVM up (without otdiag they would most likely be lost).
      int after = 0;
      for (Object p : QUEUED_PROCESSORS) {
        after += Math.max(queued(p), 0);
      }
      out.append("},\"queued_after_hook\":").append(after);
      out.append(",\"hook_ms\":").append((System.nanoTime() - began) / 1000000).append('}');
    } catch (Throwable t) {
      out.setLength(0);
      out.append("{\"version\":1,\"error\":").append(q(t.getClass().getName() + ": " + t.getMessage())).append('}');
    }
    try {
      write(new File(dir, "java-" + pid() + ".json"), out.toString());
    } catch (Throwable ignored) {
      // the report is lost; otdiag says the observer wrote nothing
    }
  }

  private static boolean interesting(String n) {
    return n.endsWith(".SdkTracerProvider")
        || n.endsWith("SpanProcessor")
        || n.endsWith("SpanExporter")
        || n.endsWith(".AutoConfiguredOpenTelemetrySdk")
        || n.endsWith(".DefaultTracer$NoopSpanBuilder")
        || n.endsWith(".DefaultTracer")
        || n.endsWith(".OpenTelemetryAgent")
        || n.endsWith(".AgentInitializer");
  }

  /** How the JVM is shutting down, from the stacks of the threads that started it. */
  private static String exitInfo() {
    String how = "normal";
    String site = null;
    try {
      for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
        StackTraceElement[] st = e.getValue();
        int exitAt = -1;
        boolean signal = false;
        for (int i = 0; i < st.length; i++) {
          String cls = st[i].getClassName();
          String m = st[i].getMethodName();
          if ((cls.equals("java.lang.System") || cls.equals("java.lang.Runtime")) && m.equals("exit")) {
            exitAt = i;
          }
          if (cls.equals("java.lang.Terminator") || cls.startsWith("jdk.internal.misc.Signal")
              || cls.startsWith("sun.misc.Signal")) {
            signal = true;
          }
        }
        if (signal && exitAt < 0) {
          how = "signal";
        } else if (exitAt >= 0) {
          how = signal ? "signal" : "exit-call";
          if (!signal && exitAt + 1 < st.length) {
            StackTraceElement caller = st[exitAt + 1];
            site = caller.getClassName() + "." + caller.getMethodName() + "(" + caller.getFileName() + ":"
                + caller.getLineNumber() + ")";
          }
          break;
        }
      }
    } catch (Throwable ignored) {
      how = "unknown";
    }
    return "{\"how\":" + q(how) + ",\"site\":" + q(site) + "}";
  }

  private static String global(Class<?> c, List<Object> providers) {
    StringBuilder b = new StringBuilder();
    b.append("{\"class\":").append(q(c.getName()));
    Object value = staticField(c, "globalOpenTelemetry");
    Object delegate = value == null ? null : field(value, "delegate");
    Object otel = delegate != null ? delegate : value;
    b.append(",\"set\":").append(otel != null);
    b.append(",\"type\":").append(q(otel == null ? null : otel.getClass().getName()));
    Object caller = staticField(c, "setGlobalCaller");
    if (caller instanceof Throwable) {
      b.append(",\"set_at\":").append(q(appFrame(((Throwable) caller).getStackTrace())));
    }
    if (otel != null) {
      Object tp = field(otel, "tracerProvider");
      Object sdk = tp == null ? null : field(tp, "delegate");
      Object provider = sdk != null ? sdk : tp;
      if (provider != null) {
        b.append(",\"tracer_provider\":").append(q(provider.getClass().getName()));
        if (provider.getClass().getName().endsWith(".SdkTracerProvider")) {
          b.append(",\"provider_index\":").append(providers.size());
          providers.add(provider);
        }
      }
    }
    return b.append('}').toString();
  }

  private static String provider(Object provider) {
    StringBuilder b = new StringBuilder();
    Object shared = field(provider, "sharedState");
    Object sampler = shared == null ? null : field(shared, "sampler");
    b.append("{\"type\":").append(q(provider.getClass().getName()));
    b.append(",\"sampler\":").append(q(sampler == null ? null : text(sampler)));
    boolean shut = shared != null && field(shared, "shutdownResult") != null;
    b.append(",\"shutdown_before_hooks\":").append(shut);
    Object active = shared == null ? null : field(shared, "activeSpanProcessor");
    List<Object> processors = new ArrayList<>();
    List<Object> exporters = new ArrayList<>();
    walk(active, 0, processors, exporters, new IdentityHashMap<>());
    int queued = 0;
    b.append(",\"processors\":[");
    for (int i = 0; i < processors.size(); i++) {
      Object p = processors.get(i);
      int q = queued(p);
      queued += Math.max(q, 0);
      if (q > 0) {
        QUEUED_PROCESSORS.add(p);
      }
      b.append(i == 0 ? "" : ",").append("{\"type\":").append(q(p.getClass().getName()));
      b.append(",\"queued\":").append(q).append('}');
    }
    b.append("],\"exporters\":[");
    for (int i = 0; i < exporters.size(); i++) {
      Object e = exporters.get(i);
      b.append(i == 0 ? "" : ",").append("{\"type\":").append(q(e.getClass().getName()));
      b.append(",\"text\":").append(q(text(e))).append('}');
    }
    b.append("],\"queued\":").append(queued);
    boolean flushedByHook = false;
    if (queued > 0 && !shut && shared != null) {
      // Another shutdown hook (AutoConfiguredOpenTelemetrySdk's, the Java agent's, the app's own) may
      // still shut the provider down: wait for it, but only while such a thread is alive. Waiting with
      // none would keep the JVM up long enough for the batch processor's next scheduled export, and
      // so deliver spans that the app, run without otdiag, loses.
      long deadline = System.currentTimeMillis() + WAIT_FOR_FLUSH_MS;
      while (System.currentTimeMillis() < deadline && otherHooksRunning()) {
        if (field(shared, "shutdownResult") != null) {
          flushedByHook = true;
          break;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          break;
        }
      }
    }
    b.append(",\"shutdown_by_hook\":").append(flushedByHook);
    return b.append('}').toString();
  }

  /**
   * Whether a thread that could still shut the provider down is alive: a non-daemon thread other than
   * this hook and the thread running the JVM's shutdown (System.exit's caller, DestroyJavaVM, a signal
   * handler). Shutdown hooks are non-daemon threads unless made daemon; so are app threads still working.
   */
  private static boolean otherHooksRunning() {
    try {
      Thread me = Thread.currentThread();
      for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
        Thread t = e.getKey();
        if (t == me || t.isDaemon() || !t.isAlive()) {
          continue;
        }
        boolean shuttingDown = false;
        for (StackTraceElement f : e.getValue()) {
          if (f.getClassName().equals("java.lang.Shutdown")) {
            shuttingDown = true;
            break;
          }
        }
        if (!shuttingDown && !t.getName().equals("DestroyJavaVM")) {
          return true;
        }
      }
    } catch (Throwable ignored) {
      return false;
    }
    return false;
  }

  /** The span processors and exporters reachable from the provider's active processor. */
  private static void walk(Object o, int depth, List<Object> processors, List<Object> exporters,
      IdentityHashMap<Object, Boolean> seen) {
    if (o == null || depth > 5 || seen.put(o, Boolean.TRUE) != null || seen.size() > 500) {
      return;
    }
    if (o instanceof Collection) {
      int n = 0;
      for (Object x : (Collection<?>) o) {
        if (n++ > 20) {
          break;
        }
        walk(x, depth + 1, processors, exporters, seen);
      }
      return;
    }
    Class<?> c = o.getClass();
    if (c.isArray()) {
      if (!c.getComponentType().isPrimitive()) {
        for (int i = 0; i < Math.min(Array.getLength(o), 20); i++) {
          walk(Array.get(o, i), depth + 1, processors, exporters, seen);
        }
      }
      return;
    }
    String n = c.getName();
    if (!n.startsWith("io.opentelemetry.")) {
      return;
    }
    if (n.endsWith("SpanExporter")) {
      exporters.add(o);
    } else if (n.endsWith("SpanProcessor") && !n.endsWith(".MultiSpanProcessor")) {
      processors.add(o);
    }
    for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
      for (Field f : k.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
          continue;
        }
        try {
          f.setAccessible(true);
          walk(f.get(o), depth + 1, processors, exporters, seen);
        } catch (Throwable ignored) {
          // a field we may not read
        }
      }
    }
  }

  /** Spans waiting in a batch processor: its queue, and the batch its worker drained from it but not exported. */
  private static int queued(Object processor) {
    Object worker = field(processor, "worker");
    Object batch = worker == null ? null : field(worker, "batch");
    int drained = batch instanceof Collection ? ((Collection<?>) batch).size() : 0;
    Object size = worker == null ? null : field(worker, "queueSize");
    if (size instanceof Number) {
      return ((Number) size).intValue() + drained;
    }
    Object queue = worker == null ? null : field(worker, "queue");
    if (queue instanceof Collection) {
      return ((Collection<?>) queue).size() + drained;
    }
    return -1;
  }

  private static int muzzleFailures(Class<?>[] loaded) {
    for (Class<?> c : loaded) {
      if (c.getName().endsWith(".MuzzleFailureCounter")) {
        Object counter = staticField(c, "counter");
        if (counter instanceof Number) {
          return ((Number) counter).intValue();
        }
      }
    }
    return -1;
  }

  private static void jar(Class<?> c, Set<String> jars) {
    try {
      CodeSource cs = c.getProtectionDomain().getCodeSource();
      if (cs != null && cs.getLocation() != null) {
        String path = cs.getLocation().getPath();
        int slash = path.lastIndexOf('/', path.endsWith("/") ? path.length() - 2 : path.length());
        String name = path.substring(slash + 1);
        Package p = c.getPackage();
        String version = p == null ? null : p.getImplementationVersion();
        jars.add(version == null ? name : name + "@" + version);
      }
    } catch (Throwable ignored) {
      // no code source
    }
  }

  private static String appFrame(StackTraceElement[] st) {
    for (StackTraceElement f : st) {
      String cls = f.getClassName();
      if (!cls.startsWith("io.opentelemetry.") && !cls.startsWith("java.") && !cls.startsWith("jdk.")
          && !cls.startsWith("sun.")) {
        return cls + "." + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")";
      }
    }
    return null;
  }

  private static boolean secret(String key) {
    String k = key.toLowerCase();
    return k.contains("header") || k.contains("key") || k.contains("token") || k.contains("secret")
        || k.contains("password") || k.contains("credential");
  }

  private static String text(Object o) {
    try {
      String s = String.valueOf(o);
      return s.length() > MAX_TEXT ? s.substring(0, MAX_TEXT) : s;
    } catch (Throwable t) {
      return o.getClass().getName();
    }
  }

  private static Object staticField(Class<?> c, String name) {
    try {
      Field f = c.getDeclaredField(name);
      f.setAccessible(true);
      return f.get(null);
    } catch (Throwable t) {
      return null;
    }
  }

  private static Object field(Object o, String name) {
    for (Class<?> k = o.getClass(); k != null && k != Object.class; k = k.getSuperclass()) {
      try {
        Field f = k.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
      } catch (NoSuchFieldException e) {
        continue;
      } catch (Throwable t) {
        return null;
      }
    }
    return null;
  }

  private static final String TOKEN =
      Long.toHexString(System.nanoTime()) + Integer.toHexString(System.identityHashCode(new Object()));

  /** This JVM's name for its two files (not its pid: reading that would load java.management). */
  private static String pid() {
    return TOKEN;
  }

  private static void write(File target, String text) throws Exception {
    File tmp = new File(target.getPath() + ".tmp");
    try (Writer w = new OutputStreamWriter(new FileOutputStream(tmp), StandardCharsets.UTF_8)) {
      w.write(text);
    }
    if (!tmp.renameTo(target)) {
      tmp.delete();
    }
  }

  private static String q(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '"' || ch == '\\') {
        b.append('\\').append(ch);
      } else if (ch < 0x20 || (ch >= 0x7f && ch <= 0x9f) || Character.isSurrogate(ch)) {
        b.append(String.format("\\u%04x", (int) ch));
      } else {
        b.append(ch);
      }
    }
    return b.append('"').toString();
  }
}
