// The text stays here. The server hears whether the box is empty only when that changes (typing in a long message sends
// nothing), and gets the text once: with Enter, or when it asks for it (a Send button).
const boxes = new WeakMap();

const hasText = textarea => textarea.value.trim().length > 0;

export function initMessageBox(textarea, component, enterSends) {
    const state = { hasText: hasText(textarea), sending: false, sends: 0 };
    boxes.set(textarea, state);
    const report = () => {
        const now = hasText(textarea);
        if (now !== state.hasText) {
            state.hasText = now;
            component.invokeMethodAsync('HasTextChanged', now);
        }
    };
    textarea.addEventListener('input', () => {
        // Typing again ends the wait for an Enter sent before (the server still refuses a second send while one is in hand).
        state.sending = false;
        report();
    });
    if (enterSends) {
        // Enter sends, Shift+Enter is a new line; an IME composition's Enter is left alone. A second Enter before the server
        // has taken or refused the first (it empties the box, or puts the text back) does nothing.
        textarea.addEventListener('keydown', e => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                if (!textarea.disabled && !state.sending && hasText(textarea)) {
                    const send = ++state.sends;
                    state.sending = true;
                    component.invokeMethodAsync('Enter', textarea.value).finally(() => { if (state.sends === send) state.sending = false; });
                }
            }
        });
    }
    if (state.hasText) {
        // Text the browser put back (a restored form) counts too.
        component.invokeMethodAsync('HasTextChanged', true);
    }
    textarea.dataset.ready = 'true';
}

export function text(textarea) {
    return textarea.value;
}

// Returns whether the box now has text: the server keeps the browser's answer, so both agree on what counts as empty.
export function setText(textarea, value) {
    textarea.value = value;
    const state = boxes.get(textarea);
    if (state) {
        state.hasText = hasText(textarea);
        state.sending = false;
    }
    return hasText(textarea);
}

export function focus(textarea) {
    textarea.focus();
}
