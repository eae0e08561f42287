// Enter sends, Shift+Enter is a new line; an IME composition's Enter is left alone.
export function initComposer(textarea, sendButtonId) {
    textarea.dataset.ready = 'true';
    textarea.addEventListener('keydown', e => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            document.getElementById(sendButtonId)?.click();
        }
    });
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
