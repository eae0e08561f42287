// Enter sends, Shift+Enter is a new line; an IME composition's Enter is left alone.
// The text goes with the call: the server's copy of the box may be a keystroke behind.
export function initComposer(textarea, composer) {
    textarea.addEventListener('keydown', e => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            if (!textarea.disabled && textarea.value.trim().length > 0) {
                composer.invokeMethodAsync('SendFromComposer', textarea.value);
            }
        }
    });
    // Escape stops a reply being written, unless it is closing a dialog or a menu first. The page's box leaving the
    // document (the operator went to another page) ends the listening.
    const stopOnEscape = e => {
        if (!textarea.isConnected) {
            document.removeEventListener('keydown', stopOnEscape);
        } else if (e.key === 'Escape' && !e.defaultPrevented && !document.querySelector('.mud-dialog, .mud-popover-open')) {
            composer.invokeMethodAsync('StopFromKeyboard');
        }
    };
    document.addEventListener('keydown', stopOnEscape);
    textarea.dataset.ready = 'true';
}

export function focus(element) {
    element.focus();
}
