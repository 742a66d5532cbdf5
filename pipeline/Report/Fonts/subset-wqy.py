import sys
from fontTools.ttLib import TTCollection
from fontTools import subset
ranges=[(0x3000,0x30FF),(0x3130,0x318F),(0x4E00,0x9FFF),(0xAC00,0xD7A3),(0xFF00,0xFFEF)]
keep=set()
for lo,hi in ranges:
    for cp in range(lo,hi+1):
        ch=chr(cp)
        for enc in ('gb2312','shift_jis','euc_kr'):
            try: ch.encode(enc); keep.add(cp); break
            except UnicodeEncodeError: pass
print(len(keep))
font=TTCollection('wqy/usr/share/fonts/truetype/wqy/wqy-microhei.ttc').fonts[0]
opt=subset.Options(); opt.hinting=False; opt.layout_features=['*']; opt.name_IDs=['*']; opt.notdef_outline=True
s=subset.Subsetter(opt); s.populate(unicodes=keep); s.subset(font)
font.save(sys.argv[1])
