// Scrolls to the newest message (after sending, or opening a conversation).
export function scrollToBottom(element, force) {
    if (force || element.scrollHeight - element.scrollTop - element.clientHeight < 160) {
        element.scrollTop = element.scrollHeight;
    }
}

// Keeps the newest text in view as a reply grows, unless the operator has scrolled up to read: then a button offers
// the way back down. Copies a code block when its button is pressed.
export function followGrowth(element, jump) {
    let atBottom = true;
    const offBottom = () => element.scrollHeight - element.scrollTop - element.clientHeight;
    element.addEventListener('scroll', () => {
        atBottom = offBottom() < 160;
        jump.hidden = offBottom() < 8;
    }, { passive: true });
    new MutationObserver(() => {
        if (atBottom) {
            element.scrollTop = element.scrollHeight;
        } else {
            jump.hidden = false;
        }
    }).observe(element, { childList: true, subtree: true, characterData: true });
    jump.addEventListener('click', () => {
        atBottom = true;
        jump.hidden = true;
        element.scrollTop = element.scrollHeight;
    });
    element.addEventListener('click', async e => {
        const button = e.target.closest('.cc-copy-code');
        if (button) {
            await navigator.clipboard.writeText(button.parentElement.querySelector('pre').innerText);
            button.textContent = 'Copied';
            setTimeout(() => button.textContent = 'Copy', 2000);
        }
    });
}

export function timeZone() {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
