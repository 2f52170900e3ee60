export default { root: new URL(".", import.meta.url).pathname, logLevel: "warn", build: { target: "es2022", outDir: "dist", emptyOutDir: true } };
