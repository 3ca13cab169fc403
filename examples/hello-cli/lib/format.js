exports.format = (template, values) => template.trim().replace(/\{(\w+)\}/g, (_, key) => values[key] ?? `{${key}}`);
