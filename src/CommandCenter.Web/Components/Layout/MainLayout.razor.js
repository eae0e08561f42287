// Remembered for a year; read by the server on the next page load so the first paint has the right theme.
export function saveTheme(name, value) {
    document.cookie = `${name}=${value}; path=/; max-age=31536000; samesite=lax`;
}

// Marks the page once the circuit is up, for tests and for styles that need interactivity.
export function markInteractive() {
    document.body.dataset.interactive = 'true';
}
