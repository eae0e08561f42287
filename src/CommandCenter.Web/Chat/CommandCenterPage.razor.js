// Enter sends, Shift+Enter is a new line; an IME composition's Enter is left alone.
// The text goes with the call: the server's copy of the box may be a keystroke behind.
export function initComposer(textarea, page) {
    textarea.addEventListener('keydown', e => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            if (!textarea.disabled && textarea.value.trim().length > 0) {
                page.invokeMethodAsync('SendFromComposer', textarea.value);
            }
        }
    });
    textarea.dataset.ready = 'true';
}

// Follows the reply as it grows, unless the operator scrolled up to read.
export function scrollToBottom(element, force) {
    if (force || element.scrollHeight - element.scrollTop - element.clientHeight < 160) {
        element.scrollTop = element.scrollHeight;
    }
}

export function focus(element) {
    element.focus();
}
