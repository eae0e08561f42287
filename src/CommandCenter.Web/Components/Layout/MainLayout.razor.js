// Remembered for a year; read by the server on the next page load so the first paint has the right theme.
export function saveTheme(name, value) {
    document.cookie = `${name}=${value}; path=/; max-age=31536000; samesite=lax`;
}
