// screens/tl_work.jsx — placeholder; ui-admin owns this file and replaces it.
export const screen = { id: 'tl_work', route: '/tl-work', nav: 'nav.tl_work', public: false, visible: (me) => !!me, Component: ({ t }) => <p>{t('common.soon')}</p> };
