'use strict';
// otdiag's observer inside a Node.js app (loaded by `otdiag run` through NODE_OPTIONS=--require).
//
// It only looks: it never prints, never changes what a call returns or throws, and writes one bounded
// JSON report into otdiag's private directory when the process exits. Every hook is wrapped in
// try/catch; a failure of the observer is recorded in the report, never raised into the app.
(function otdiagObserve() {
  const DIR = process.env.OTDIAG_NODE_DIR;
  if (!DIR || globalThis[Symbol.for('otdiag.node.observer')]) return;
  try {
    if (!require('worker_threads').isMainThread) return; // one report per process: the main thread's
  } catch (e) {
    return;
  }
  const fs = require('fs');
  const path = require('path');
  const Module = require('module');
  const SELF = __filename;
  const MAX_LIST = 64;
  const MAX_TEXT = 400;
  const started = Date.now();
  let seq = 0;
  const R = {
    v: 1,
    node: process.version,
    pid: process.pid,
    main: String(process.argv[1] || ''),
    esm_main: false,
    loader_flags: [],
    registered_hooks: [],
    packages: {},
    loads: {},
    instrumentations: [],
    applied: [],
    providers: [],
    exporters: [],
    registration: null,
    api_global: false,
    app_logger: false,
    tracers: { taken: 0, before_registration: 0 },
    spans: { started: 0, ended: 0 },
    diag: [],
    diag_counts: {},
    exit: { how: 'normal', code: null, site: null, shutdown: false, shutdown_done: false, shutdown_site: null, at_ms: null },
    crash: null,
    errors: [],
  };
  globalThis[Symbol.for('otdiag.node.observer')] = R;

  const text = (v) => {
    let s;
    try {
      if (typeof v === 'string') s = v;
      else if (v instanceof Error) s = `${v.name}: ${v.message}`;
      else s = JSON.stringify(v);
    } catch (e) {
      s = Object.prototype.toString.call(v);
    }
    s = String(s);
    return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) + '…' : s;
  };
  const push = (list, item) => {
    if (list.length < MAX_LIST) list.push(item);
  };
  const oops = (where, e) => push(R.errors, `${where}: ${text(e)}`);

  // --- where in the app's code: the first stack frame outside node_modules, node internals and this file.
  const FRAME = /(?:\(|at )((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?$/;
  // V8's own stack text: the app's Error.prepareStackTrace (source-map-support, ...) is not called for ours.
  function rawStack(limit) {
    const oldLimit = Error.stackTraceLimit;
    const own = Object.prototype.hasOwnProperty.call(Error, 'prepareStackTrace');
    const oldPrepare = Error.prepareStackTrace;
    try {
      Error.stackTraceLimit = limit;
      if (own) Error.prepareStackTrace = undefined;
      return String(new Error().stack || '');
    } finally {
      Error.stackTraceLimit = oldLimit;
      if (own) Error.prepareStackTrace = oldPrepare;
    }
  }
  function site(skip) {
    const stack = rawStack(40);
    const lines = stack.split('\n').slice(1 + (skip || 0));
    for (const line of lines) {
      const m = FRAME.exec(line.trim());
      if (!m) continue;
      const file = m[1].startsWith('file://') ? decodeURIComponent(m[1].slice(7)) : m[1];
      if (file === SELF || file.includes('/node_modules/') || file.startsWith('node:')) continue;
      return `${file}:${m[2]}`;
    }
    return null;
  }

  // --- is the app's main module ESM, and is an ESM loader hook (import-in-the-middle) in place?
  try {
    const main = R.main;
    if (main.endsWith('.mjs')) R.esm_main = true;
    else if (main && !main.endsWith('.cjs')) {
      let dir = path.dirname(path.resolve(main));
      for (let i = 0; i < 40; i++) {
        const pj = path.join(dir, 'package.json');
        if (fs.existsSync(pj)) {
          const raw = fs.readFileSync(pj, 'utf8');
          if (raw.length < 1e6) R.esm_main = JSON.parse(raw).type === 'module';
          break;
        }
        const up = path.dirname(dir);
        if (up === dir) break;
        dir = up;
      }
    }
  } catch (e) {
    oops('esm-detect', e);
  }
  try {
    const opts = [...process.execArgv, ...String(process.env.OTDIAG_NODE_APP_OPTIONS || '').split(/\s+/)];
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i];
      if (/^--(experimental-)?loader$|^--import$/.test(o) && opts[i + 1]) push(R.loader_flags, `${o} ${opts[i + 1]}`);
      else if (/^--(experimental-)?loader=|^--import=/.test(o)) push(R.loader_flags, o);
    }
    R.loader_flags = R.loader_flags.filter((f) => !f.includes(path.dirname(SELF)));
  } catch (e) {
    oops('flags', e);
  }
  try {
    if (typeof Module.register === 'function') {
      const register = Module.register;
      Module.register = function otdiagRegister(specifier) {
        try {
          push(R.registered_hooks, text(String(specifier)));
        } catch (e) {
          /* never into the app */
        }
        return register.apply(this, arguments);
      };
      if (typeof Module.syncBuiltinESMExports === 'function') Module.syncBuiltinESMExports();
    }
  } catch (e) {
    oops('register', e);
  }

  // --- the SDK's diag logger, into this report (never the app's console; the app's own logger wins).
  const LEVELS = ['error', 'warn', 'info', 'debug', 'verbose'];
  const logger = {};
  for (const level of LEVELS) {
    logger[level] = function otdiagDiag(...args) {
      try {
        R.diag_counts[level] = (R.diag_counts[level] || 0) + 1;
        // A component logger puts its namespace first: "Applying instrumentation patch ..." is the 1st or 2nd.
        const at = args.findIndex((a, i) => i < 2 && typeof a === 'string' && a.startsWith('Applying instrumentation patch'));
        if (at >= 0) {
          const m = args[at + 1] && typeof args[at + 1] === 'object' ? args[at + 1].module : undefined;
          if (typeof m === 'string' && !R.applied.includes(m)) push(R.applied, text(m));
        }
        if (level !== 'verbose' && R.diag.length < 200) R.diag.push([level, args.map(text).join(' ').slice(0, MAX_TEXT)]);
      } catch (e) {
        /* never into the app */
      }
    };
  }
  let appLogger;
  const KEY = Symbol.for('opentelemetry.js.api.1');
  function watchApiGlobal(api) {
    R.api_global = true;
    let traceValue = api.trace;
    if ('diag' in api) {
      appLogger = api.diag;
      R.app_logger = true;
    }
    Object.defineProperty(api, 'diag', {
      configurable: true,
      enumerable: true,
      get() {
        if (appLogger !== undefined) return appLogger;
        // Inside the API's setLogger(), say there is no logger yet: no "logger will be overwritten" warning
        // reaches the app's new logger because of ours.
        return rawStack(4).includes('setLogger') ? undefined : logger;
      },
      set(v) {
        appLogger = v;
        R.app_logger = v !== undefined;
      },
    });
    Object.defineProperty(api, 'trace', {
      configurable: true,
      enumerable: true,
      get() {
        return traceValue;
      },
      set(v) {
        traceValue = v;
        try {
          onTraceGlobal(v);
        } catch (e) {
          oops('trace-global', e);
        }
      },
    });
  }
  try {
    if (globalThis[KEY]) watchApiGlobal(globalThis[KEY]);
    else {
      Object.defineProperty(globalThis, KEY, {
        configurable: true,
        enumerable: false,
        get() {
          return undefined;
        },
        set(v) {
          Object.defineProperty(globalThis, KEY, { value: v, writable: true, configurable: true, enumerable: false });
          try {
            if (v && typeof v === 'object') watchApiGlobal(v);
          } catch (e) {
            oops('api-global', e);
          }
        },
      });
    }
  } catch (e) {
    oops('global', e);
  }

  function onTraceGlobal(proxy) {
    if (!proxy || typeof proxy.setDelegate !== 'function') return;
    const setDelegate = proxy.setDelegate;
    const where = site(2);
    proxy.setDelegate = function otdiagSetDelegate(delegate) {
      try {
        R.registration = { type: ctorName(delegate), site: where, at_ms: Date.now() - started };
        const p = provider(delegate, null);
        if (p) {
          p.registered = true;
          inspect(delegate, p);
        }
      } catch (e) {
        oops('set-delegate', e);
      }
      return setDelegate.apply(this, arguments);
    };
  }

  // --- providers, processors, exporters: seen from the instances, whichever build (CJS or ESM) made them.
  const seenProviders = new WeakMap();
  const seenExporters = new WeakMap();
  const ctorName = (o) => {
    try {
      return String((o && o.constructor && o.constructor.name) || typeof o).slice(0, 80);
    } catch (e) {
      return '?';
    }
  };
  function findString(obj, key, depth, seen) {
    if (!obj || typeof obj !== 'object' || depth < 0 || seen.has(obj)) return undefined;
    seen.add(obj);
    try {
      if (typeof obj[key] === 'string') return obj[key];
      for (const k of Object.keys(obj).slice(0, 40)) {
        const found = findString(obj[k], key, depth - 1, seen);
        if (found !== undefined) return found;
      }
    } catch (e) {
      /* a getter that throws: look elsewhere */
    }
    return undefined;
  }
  function headerNames(obj) {
    try {
      let h = obj;
      if (typeof h === 'function') h = h();
      if (h && typeof h === 'object' && !(h instanceof Promise)) return Object.keys(h).slice(0, 20).map(text);
    } catch (e) {
      /* ignore */
    }
    return [];
  }
  function exporter(ex, config, where, pkg) {
    if (!ex || typeof ex !== 'object') return null;
    let rec = seenExporters.get(ex);
    if (rec) {
      if (config && rec.code_url === null && config.url) rec.code_url = text(String(config.url));
      if (where && !rec.site) rec.site = where;
      if (pkg && !rec.package) rec.package = pkg;
      return rec;
    }
    rec = {
      type: ctorName(ex),
      package: pkg || null,
      url: null,
      code_url: config && config.url ? text(String(config.url)) : null,
      header_names: config ? headerNames(config.headers) : [],
      site: where || null,
      results: {},
      errors: [],
      spans_handed: 0,
    };
    seenExporters.set(ex, rec);
    push(R.exporters, rec);
    try {
      rec.url = text(findString(ex, 'url', 6, new Set()) || findString(ex, 'address', 6, new Set()) || '') || null;
      if (!rec.header_names.length) {
        const h = findObject(ex, 'headers', 6, new Set());
        if (h) rec.header_names = headerNames(h);
      }
    } catch (e) {
      oops('exporter-url', e);
    }
    if (typeof ex.export === 'function') {
      const orig = ex.export;
      ex.export = function otdiagExport(spans, done) {
        try {
          rec.spans_handed += Array.isArray(spans) ? spans.length : 0;
        } catch (e) {
          /* ignore */
        }
        const cb = function otdiagExportDone(result) {
          try {
            const name = result && result.code === 0 ? 'SUCCESS' : 'FAILURE';
            rec.results[name] = (rec.results[name] || 0) + 1;
            if (name === 'FAILURE' && rec.errors.length < 3) {
              const err = result && result.error;
              let msg = err ? text(err) : 'failed without an error';
              if (err && err.code !== undefined) msg += ` (code ${text(err.code)})`;
              rec.errors.push(msg);
            }
          } catch (e) {
            /* ignore */
          }
          return typeof done === 'function' ? done.apply(this, arguments) : undefined;
        };
        return orig.call(this, spans, cb);
      };
    }
    return rec;
  }
  function findObject(obj, key, depth, seen) {
    if (!obj || typeof obj !== 'object' || depth < 0 || seen.has(obj)) return undefined;
    seen.add(obj);
    try {
      if (obj[key] && typeof obj[key] === 'object') return obj[key];
      for (const k of Object.keys(obj).slice(0, 40)) {
        const found = findObject(obj[k], key, depth - 1, seen);
        if (found !== undefined) return found;
      }
    } catch (e) {
      /* ignore */
    }
    return undefined;
  }
  const wrappedMulti = new WeakSet();
  const providerObjs = [];
  function inspect(p, rec) {
    const multi = p._activeSpanProcessor || p.activeSpanProcessor;
    let procs = [];
    if (multi && Array.isArray(multi._spanProcessors)) procs = multi._spanProcessors;
    else if (Array.isArray(p._registeredSpanProcessors)) procs = p._registeredSpanProcessors;
    rec.processors = procs.slice(0, 20).map(ctorName);
    for (const sp of procs.slice(0, 20)) if (sp && sp._exporter) exporter(sp._exporter, null, null);
    if (multi && !wrappedMulti.has(multi) && typeof multi.onEnd === 'function' && typeof multi.onStart === 'function') {
      wrappedMulti.add(multi);
      const onStart = multi.onStart;
      const onEnd = multi.onEnd;
      multi.onStart = function otdiagOnStart() {
        R.spans.started++;
        return onStart.apply(this, arguments);
      };
      multi.onEnd = function otdiagOnEnd() {
        R.spans.ended++;
        return onEnd.apply(this, arguments);
      };
    }
  }
  function provider(p, where) {
    if (!p || typeof p !== 'object' || typeof p.getTracer !== 'function') return null;
    let rec = seenProviders.get(p);
    if (rec) return rec;
    rec = { type: ctorName(p), site: where, registered: false, sampler: null, processors: [], shutdown: false };
    seenProviders.set(p, rec);
    push(R.providers, rec);
    if (providerObjs.length < MAX_LIST) providerObjs.push([p, rec]);
    try {
      const cfg = p._config || {};
      if (cfg.sampler) {
        const s = cfg.sampler;
        rec.sampler = text(typeof s.toString === 'function' && s.toString !== Object.prototype.toString ? s.toString() : ctorName(s));
      }
      inspect(p, rec);
      if (typeof p.addSpanProcessor === 'function') {
        // The 1.x SDK: processors are added after the provider is built.
        const add = p.addSpanProcessor;
        p.addSpanProcessor = function otdiagAddSpanProcessor() {
          const result = add.apply(this, arguments);
          try {
            inspect(p, rec);
          } catch (e) {
            oops('add-processor', e);
          }
          return result;
        };
      }
      if (typeof p.shutdown === 'function') {
        const shutdown = p.shutdown;
        p.shutdown = function otdiagShutdown() {
          if (!rec.shutdown) {
            rec.shutdown = true;
            R.exit.shutdown = true;
            R.exit.shutdown_site = site(1);
          }
          const result = shutdown.apply(this, arguments);
          try {
            if (result && typeof result.then === 'function') {
              result.then(
                () => { R.exit.shutdown_done = true; },
                () => { R.exit.shutdown_done = true; }
              );
            } else R.exit.shutdown_done = true;
          } catch (e) {
            /* ignore */
          }
          return result;
        };
      }
      if (typeof p.forceFlush === 'function') {
        const flush = p.forceFlush;
        p.forceFlush = function otdiagForceFlush() {
          rec.flushed = true;
          return flush.apply(this, arguments);
        };
      }
    } catch (e) {
      oops('provider', e);
    }
    return rec;
  }

  // --- classes as they load: a subclass that records each instance, through a Proxy of the package's exports.
  const PROVIDERS = new Set(['BasicTracerProvider', 'NodeTracerProvider']);
  const EXPORTERS = new Set(['OTLPTraceExporter', 'ConsoleSpanExporter', 'InMemorySpanExporter', 'ZipkinExporter']);
  const wrappedClasses = new Map();
  function wrapClass(C, what, pkg) {
    if (wrappedClasses.has(C)) return wrappedClasses.get(C);
    const W = class extends C {
      constructor(...args) {
        super(...args);
        try {
          if (what === 'provider') {
            if (!seenProviders.has(this)) provider(this, site(1));
          } else if (what === 'exporter') exporter(this, args[0] && typeof args[0] === 'object' ? args[0] : null, site(1), pkg);
        } catch (e) {
          oops('class', e);
        }
      }
    };
    Object.defineProperty(W, 'name', { value: C.name });
    wrappedClasses.set(C, W);
    return W;
  }
  const PKG = /(?:^|[\\/]node_modules[\\/])((?:@opentelemetry[\\/])?[^\\/]+)(?:[\\/](.*))?$/;
  const WATCHED = new Set(['http', 'https', 'express', 'fastify', 'koa', '@hapi/hapi', 'pg', 'mysql', 'mysql2', 'mongodb', 'ioredis', 'redis', 'undici', 'graphql', 'grpc', '@grpc/grpc-js', 'net']);
  const proxied = new WeakMap();
  const patchedInstr = new WeakSet();
  function packageVersion(filename, name) {
    try {
      const i = filename.lastIndexOf(`node_modules${path.sep}${name.split('/').join(path.sep)}`);
      if (i < 0) return '';
      const pj = path.join(filename.slice(0, i), 'node_modules', name, 'package.json');
      const raw = fs.readFileSync(pj, 'utf8');
      return raw.length < 1e6 ? String(JSON.parse(raw).version || '').slice(0, 40) : '';
    } catch (e) {
      return '';
    }
  }
  function onLoad(request, parent, exp) {
    let name = request.startsWith('node:') ? request.slice(5) : request;
    let filename = null;
    let isEntry = true;
    if (path.isAbsolute(name)) {
      const m = PKG.exec(name);
      if (!m) return exp;
      filename = name;
      name = m[1].replace(/\\/g, '/');
      isEntry = !m[2] || /^(build\/src\/|lib\/|dist\/)?index\.js$/.test(m[2].replace(/\\/g, '/'));
    } else if (name.startsWith('.')) return exp;
    else {
      const m = /^(@[^/]+\/[^/]+|[^/]+)(\/.*)?$/.exec(name);
      if (!m) return exp;
      if (m[2]) isEntry = false;
      name = m[1];
    }
    if (WATCHED.has(name) && !(name in R.loads)) {
      const from = parent && typeof parent.filename === 'string' ? parent.filename : '';
      R.loads[name] = { seq: ++seq, site: site(2), by_app: !from.includes(`${path.sep}node_modules${path.sep}`) };
    }
    if (!name.startsWith('@opentelemetry/') || !isEntry) return exp;
    if (!(name in R.packages)) {
      try {
        if (!filename) filename = Module._resolveFilename(request, parent);
      } catch (e) {
        /* ignore */
      }
      R.packages[name] = filename ? packageVersion(filename, name) : '';
      if (!(name in R.loads)) R.loads[name] = { seq: ++seq, site: site(2) };
    }
    if (!exp || (typeof exp !== 'object' && typeof exp !== 'function')) return exp;
    if (name === '@opentelemetry/api') onApi(exp);
    if (name === '@opentelemetry/instrumentation') onInstrumentation(exp);
    let names = null;
    let what = null;
    if (name === '@opentelemetry/sdk-trace-base' || name === '@opentelemetry/sdk-trace-node') {
      names = new Set([...PROVIDERS, ...EXPORTERS]);
      what = null;
    } else if (name.startsWith('@opentelemetry/exporter-trace-') || name === '@opentelemetry/exporter-zipkin') {
      names = EXPORTERS;
      what = 'exporter';
    }
    if (!names) return exp;
    if (proxied.has(exp)) return proxied.get(exp);
    const px = new Proxy(exp, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key === 'string' && names.has(key) && typeof v === 'function') {
          try {
            return wrapClass(v, what || (PROVIDERS.has(key) ? 'provider' : 'exporter'), name);
          } catch (e) {
            oops('wrap', e);
          }
        }
        return v;
      },
    });
    proxied.set(exp, px);
    return px;
  }
  let apiSeen = false;
  function onApi(api) {
    if (apiSeen) return;
    apiSeen = true;
    try {
      // Our diag logger from the first load of the API on (instrumentations warn before any provider is set).
      if (!globalThis[KEY] && api.diag && typeof api.diag.setLogger === 'function') {
        api.diag.setLogger(logger, { logLevel: 9999, suppressOverrideMessage: true });
        appLogger = undefined;
        R.app_logger = false;
      }
      const tr = api.trace;
      if (tr && typeof tr.getTracer === 'function') {
        const getTracer = tr.getTracer;
        tr.getTracer = function otdiagGetTracer() {
          R.tracers.taken++;
          if (!R.registration) R.tracers.before_registration++;
          return getTracer.apply(this, arguments);
        };
      }
    } catch (e) {
      oops('api', e);
    }
  }
  function onInstrumentation(exp) {
    try {
      const Base = exp.InstrumentationBase;
      if (!Base || !Base.prototype || patchedInstr.has(Base.prototype)) return;
      patchedInstr.add(Base.prototype);
      const enable = Base.prototype.enable;
      Base.prototype.enable = function otdiagEnable() {
        try {
          if (!this.__otdiagSeen && R.instrumentations.length < MAX_LIST) {
            Object.defineProperty(this, '__otdiagSeen', { value: true });
            const mods = Array.isArray(this._modules) ? this._modules.map((m) => text(m && m.name)).slice(0, 20) : [];
            R.instrumentations.push({ name: text(this.instrumentationName), modules: mods, seq: ++seq, site: site(1) });
          }
        } catch (e) {
          oops('enable', e);
        }
        return enable.apply(this, arguments);
      };
    } catch (e) {
      oops('instrumentation', e);
    }
  }
  try {
    const load = Module._load;
    Module._load = function otdiagLoad(request, parent) {
      const exp = load.apply(this, arguments);
      try {
        if (typeof request === 'string') {
          const out = onLoad(request, parent, exp);
          if (out !== exp && path.isAbsolute(request) && Module._cache[request]) Module._cache[request].exports = out;
          return out;
        }
      } catch (e) {
        oops('load', e);
      }
      return exp;
    };
  } catch (e) {
    oops('hook', e);
  }

  // --- the exit: process.exit() with its call site, an uncaught exception, and the report, written synchronously.
  try {
    const exit = process.exit;
    process.exit = function otdiagExit(code) {
      try {
        if (R.exit.how === 'normal') {
          R.exit.how = 'exit-call';
          R.exit.site = site(1);
          R.exit.at_ms = Date.now() - started;
        }
      } catch (e) {
        /* ignore */
      }
      return exit.apply(this, arguments);
    };
  } catch (e) {
    oops('exit', e);
  }
  process.on('uncaughtExceptionMonitor', (err) => {
    try {
      if (R.crash) return;
      const stack = String((err && err.stack) || '');
      let where = null;
      for (const line of stack.split('\n').slice(1)) {
        const m = FRAME.exec(line.trim());
        if (!m) continue;
        const file = m[1].startsWith('file://') ? decodeURIComponent(m[1].slice(7)) : m[1];
        // This file's frames too: a missing module throws through the preload's Module._load hook.
        if (file !== SELF && !file.includes('/node_modules/') && !file.startsWith('node:')) {
          where = `${file}:${m[2]}`;
          break;
        }
      }
      R.crash = { error: text(err), site: where };
    } catch (e) {
      /* ignore */
    }
  });
  // The report: rewritten every second while the app runs (a server stopped by a signal has no 'exit'
  // event; the timer is unref'd, so it never keeps the app alive), and once more at the exit.
  const reportPath = path.join(DIR, `node-${process.pid}.json`);
  function writeReport() {
    for (const [p, rec] of providerObjs) {
      try {
        inspect(p, rec);
      } catch (e) {
        oops('inspect', e);
      }
    }
    const g = globalThis[KEY];
    if (g && g.trace && !R.registration) {
      const d = g.trace._delegate;
      if (d) R.registration = { type: ctorName(d), site: null, at_ms: null };
    }
    let out = JSON.stringify(R);
    if (out.length > 400000) {
      R.diag = R.diag.slice(0, 10);
      out = JSON.stringify(R);
    }
    if (out.length <= 400000) fs.writeFileSync(reportPath, out, { mode: 0o600 });
  }
  try {
    const timer = setInterval(() => {
      try {
        R.exit.how = R.exit.how === 'normal' ? 'running' : R.exit.how;
        writeReport();
        if (R.exit.how === 'running') R.exit.how = 'normal';
      } catch (e) {
        /* never into the app */
      }
    }, 1000);
    if (timer && typeof timer.unref === 'function') timer.unref();
  } catch (e) {
    oops('timer', e);
  }
  process.on('exit', (code) => {
    try {
      R.exit.code = typeof code === 'number' ? code : null;
      if (R.crash && R.exit.how === 'normal') R.exit.how = 'crash';
      if (R.exit.at_ms === null) R.exit.at_ms = Date.now() - started;
      writeReport();
    } catch (e) {
      /* the app's exit is never disturbed */
    }
  });
})();
